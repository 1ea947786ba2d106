// Lookup tables as DICOM stores them (PS3.3 C.11): a descriptor [entries, first mapped value, bits per entry] and
// the data, for the Modality LUT, VOI LUT and palette colour tables alike.
import type dicomParser from 'dicom-parser';
import { dicomError } from './parse.js';

export interface Lut {
  first: number;
  bits: number;
  entries: Uint16Array;
}

/** Value v through a LUT: inputs below the first mapped value take the first entry, above the range the last. */
export const lookUp = (lut: Lut, v: number) => lut.entries[Math.min(lut.entries.length - 1, Math.max(0, v - lut.first))];

/**
 * The LUT whose descriptor and data are `descriptorTag` and `dataTag` in `data`. `signedFirst`: the first mapped
 * value is a signed pixel value (the descriptor's second word is then read as SS, as PS3.3 C.11.1.1 says).
 */
export function readLut(data: dicomParser.DataSet, descriptorTag: string, dataTag: string, path: string, where: string, signedFirst = false): Lut {
  const descriptor = data.elements[descriptorTag];
  const lutData = data.elements[dataTag];
  const name = (tag: string) => `${where} (${tag.slice(1, 5).toUpperCase()},${tag.slice(5).toUpperCase()})`;
  if (!descriptor || descriptor.length < 6) throw dicomError(path, `${name(descriptorTag)} LUTDescriptor is missing or shorter than 3 values`);
  if (!lutData) throw dicomError(path, `${name(dataTag)} LUTData is missing`);
  const count = data.uint16(descriptorTag, 0) || 65536; // 0 means 2^16 entries
  const first = signedFirst ? data.int16(descriptorTag, 1)! : data.uint16(descriptorTag, 1)!;
  const bits = data.uint16(descriptorTag, 2)!;
  if (bits < 1 || bits > 16) throw dicomError(path, `${name(descriptorTag)} says ${bits} bits per entry: expected 8 to 16`);
  const entries = new Uint16Array(count);
  // Entries are 16-bit words; a table of 8-bit entries packed one a byte (some writers) is one byte an entry.
  if (lutData.length === count && bits <= 8) for (let i = 0; i < count; i++) entries[i] = data.byteArray[lutData.dataOffset + i];
  else if (lutData.length >= 2 * count) for (let i = 0; i < count; i++) entries[i] = data.uint16(dataTag, i)!;
  else throw dicomError(path, `${name(dataTag)} holds ${lutData.length} bytes for the ${count} entries its descriptor declares`);
  return { first, bits, entries };
}
