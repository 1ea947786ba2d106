// NRRD (.nrrd with its data attached, .nhdr with a detached data file), as teem defines it
// (teem.sourceforge.net/nrrd/format.html): raw, gzip, text and hex encodings, either byte order, line and byte
// skips, spacing from the space directions or the spacings field. bzip2 and multi-file data are refused.
import { TtlError } from '../../errors.js';
import {
  binaryVoxels, dataFileBeside, ELEMENT_TYPES, inflateAtMost, readWholeFile, textVoxels, voxelBytes, volumeShape,
  type ElementType, type Fail, type Volume,
} from './voxels.js';

/** The type field's spellings (the format lists C's names beside the fixed-width ones). */
const TYPES: Record<string, ElementType> = {};
const spell = (type: ElementType, ...names: string[]) => names.forEach((n) => (TYPES[n] = type));
spell(ELEMENT_TYPES.int8, 'signed char', 'int8', 'int8_t');
spell(ELEMENT_TYPES.uint8, 'uchar', 'unsigned char', 'uint8', 'uint8_t');
spell(ELEMENT_TYPES.int16, 'short', 'short int', 'signed short', 'signed short int', 'int16', 'int16_t');
spell(ELEMENT_TYPES.uint16, 'ushort', 'unsigned short', 'unsigned short int', 'uint16', 'uint16_t');
spell(ELEMENT_TYPES.int32, 'int', 'signed int', 'int32', 'int32_t');
spell(ELEMENT_TYPES.uint32, 'uint', 'unsigned int', 'uint32', 'uint32_t');
spell(ELEMENT_TYPES.int64, 'longlong', 'long long', 'long long int', 'signed long long', 'signed long long int', 'int64', 'int64_t');
spell(ELEMENT_TYPES.uint64, 'ulonglong', 'unsigned long long', 'unsigned long long int', 'uint64', 'uint64_t');
spell(ELEMENT_TYPES.float32, 'float');
spell(ELEMENT_TYPES.float64, 'double');

const ENCODINGS: Record<string, 'raw' | 'gzip' | 'text' | 'hex' | 'bzip2'> = {
  raw: 'raw', gz: 'gzip', gzip: 'gzip', txt: 'text', text: 'text', ascii: 'text', hex: 'hex', bz2: 'bzip2', bzip2: 'bzip2',
};

/** A header longer than this is not a header (the search for its end stops here). */
const MAX_HEADER_BYTES = 1 << 20;

interface Header {
  fields: Map<string, string>;
  /** Where attached data starts; undefined when the header runs to the end of the file. */
  dataStart?: number;
}

function splitHeader(file: Buffer, fail: Fail): Header {
  const end = file.subarray(0, MAX_HEADER_BYTES).indexOf('\n\n');
  const endCr = file.subarray(0, MAX_HEADER_BYTES).indexOf('\r\n\r\n');
  const [headerEnd, dataStart] = endCr >= 0 && (end < 0 || endCr < end) ? [endCr, endCr + 4] : end >= 0 ? [end, end + 2] : [Math.min(file.length, MAX_HEADER_BYTES), undefined];
  const lines = file.toString('latin1', 0, headerEnd).split(/\r?\n/);
  if (!/^NRRD000[1-5]$/.test(lines[0] ?? '')) throw fail(`it starts with '${(lines[0] ?? '').slice(0, 16)}', not a NRRD0001..NRRD0005 magic line`);
  const fields = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (!line || line.startsWith('#') || line.includes(':=')) continue; // a detached header's last newline, comments, key/value pairs
    const colon = line.indexOf(': ');
    if (colon < 0) throw fail(`header line '${line.slice(0, 40)}' is not 'field: value'`);
    fields.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 2).trim());
  }
  return { fields, dataStart };
}

/** mm per voxel along each axis: the length of its space direction, else the spacings field, else 1. */
function spacingOf(fields: Map<string, string>, dimension: number): number[] {
  const directions = fields.get('space directions')?.match(/\([^)]*\)|none/g);
  if (directions?.length === dimension)
    return directions.map((d) => (d === 'none' ? 1 : Math.hypot(...d.slice(1, -1).split(',').map(Number)) || 1));
  const spacings = fields.get('spacings')?.split(/\s+/).map(Number);
  return Array.from({ length: dimension }, (_, i) => (spacings?.[i] && Number.isFinite(spacings[i]) && spacings[i] > 0 ? spacings[i] : 1));
}

function required(fields: Map<string, string>, name: string, fail: Fail): string {
  const value = fields.get(name);
  if (value === undefined) throw fail(`the required '${name}' field is missing`);
  return value;
}

/** A NRRD volume (.nrrd, or a .nhdr and its data file) as float32 voxels, x fastest; a malformed file is E_BAD_IMAGE. */
export function readNrrd(path: string): Volume {
  const fail: Fail = (what) => new TtlError('E_BAD_IMAGE', `${path}: not a readable NRRD file (${what})`);
  const file = readWholeFile(path);
  const { fields, dataStart } = splitHeader(file, fail);
  const typeName = required(fields, 'type', fail);
  const type = TYPES[typeName.toLowerCase()];
  if (!type) throw fail(typeName === 'block' ? "type 'block' holds no numbers" : `type '${typeName}' is not a NRRD type`);
  const dimension = Number(required(fields, 'dimension', fail));
  const sizes = required(fields, 'sizes', fail).split(/\s+/).map(Number);
  if (sizes.length !== dimension) throw fail(`dimension is ${dimension} but sizes lists ${sizes.length}`);
  const kinds = fields.get('kinds')?.split(/\s+/) ?? [];
  const vector = kinds.findIndex((k, i) => sizes[i] > 1 && /vector|color|rgb|complex|tensor|covariant|list/i.test(k));
  if (vector >= 0) throw fail(`axis ${vector} is of kind '${kinds[vector]}': a volume of one value per voxel is expected`);
  const shape = volumeShape(sizes, fail);
  const count = shape[0] * shape[1] * shape[2];
  const encodingName = required(fields, 'encoding', fail);
  const encoding = ENCODINGS[encodingName.toLowerCase()];
  if (!encoding) throw fail(`encoding '${encodingName}' is not a NRRD encoding`);
  if (encoding === 'bzip2') throw fail("bzip2 encoding is not read; save it with gzip instead (unu save -e gzip)");
  const endian = fields.get('endian');
  if (type.bytes > 1 && encoding !== 'text' && endian !== 'little' && endian !== 'big')
    throw fail(endian === undefined ? `the 'endian' field is missing, and ${type.name} voxels need one` : `endian '${endian}' is not 'little' or 'big'`);
  const bytes = voxelBytes(shape, type, fail);

  const dataName = fields.get('data file') ?? fields.get('datafile');
  if (dataName && (/^LIST/.test(dataName) || /%/.test(dataName)))
    throw fail(`data file '${dataName}' spreads the voxels over several files; join them into one (unu join)`);
  if (!dataName && dataStart === undefined) throw fail('the header never ends (no blank line) and names no data file');
  let data = dataName ? readWholeFile(dataFileBeside(path, dataName, fail)) : file.subarray(dataStart);
  for (let skip = Number(fields.get('line skip') ?? 0); skip > 0; skip--) {
    const next = data.indexOf(10);
    if (next < 0) throw fail(`line skip passes the end of the data`);
    data = data.subarray(next + 1);
  }
  const byteSkip = Number(fields.get('byte skip') ?? 0);
  if (!Number.isInteger(byteSkip) || byteSkip < -1) throw fail(`byte skip ${fields.get('byte skip')} is not a whole number >= -1`);
  if (byteSkip === -1 && encoding !== 'raw') throw fail('byte skip -1 (data at the end of the file) is only for raw encoding');
  const skipped = (d: Uint8Array) => (byteSkip === -1 ? d.subarray(Math.max(0, d.length - bytes)) : d.subarray(byteSkip));
  const littleEndian = endian !== 'big';
  let values: Float32Array;
  if (encoding === 'text') values = textVoxels(Buffer.from(data).toString('latin1'), count, fail);
  else if (encoding === 'hex') {
    const hex = data.toString('latin1').replace(/\s+/g, '');
    if (/[^0-9a-f]/i.test(hex)) throw fail('hex data holds a character that is not a hex digit');
    values = binaryVoxels(Buffer.from(hex.slice(0, 2 * bytes), 'hex'), type, count, littleEndian, fail);
  } else {
    // The byte skip of a compressed encoding counts bytes of the inflated data.
    const raw = encoding === 'gzip' ? skipped(inflateAtMost(data, bytes + Math.max(0, byteSkip), fail)) : skipped(data);
    values = binaryVoxels(raw, type, count, littleEndian, fail);
  }
  return { shape, spacing: spacingOf(fields, dimension).slice(0, 3) as [number, number, number], values };
}
