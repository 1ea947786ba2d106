// MetaImage (ITK's MetaIO): .mha with the data after the header (ElementDataFile = LOCAL), .mhd naming a data
// file beside it; binary (either byte order, zlib-compressed or not) or text data, spacing from ElementSpacing.
// Multi-channel images and data spread over a list of files are refused.
import { TtlError } from '../../errors.js';
import {
  binaryVoxels, dataFileBeside, ELEMENT_TYPES, inflateAtMost, readWholeFile, textVoxels, voxelBytes, volumeShape,
  type ElementType, type Fail, type Volume,
} from './voxels.js';

/** MetaIO's element types (metaTypes.h: MET_LONG is 4 bytes, MET_LONG_LONG 8). */
const TYPES: Record<string, ElementType> = {
  MET_CHAR: ELEMENT_TYPES.int8, MET_UCHAR: ELEMENT_TYPES.uint8, MET_SHORT: ELEMENT_TYPES.int16, MET_USHORT: ELEMENT_TYPES.uint16,
  MET_INT: ELEMENT_TYPES.int32, MET_UINT: ELEMENT_TYPES.uint32, MET_LONG: ELEMENT_TYPES.int32, MET_ULONG: ELEMENT_TYPES.uint32,
  MET_LONG_LONG: ELEMENT_TYPES.int64, MET_ULONG_LONG: ELEMENT_TYPES.uint64, MET_FLOAT: ELEMENT_TYPES.float32, MET_DOUBLE: ELEMENT_TYPES.float64,
};

/** A header longer than this is not a header. */
const MAX_HEADER_BYTES = 1 << 20;

/** The `Key = Value` lines up to and including ElementDataFile (always the last), and where the data starts. */
function readHeader(file: Buffer, fail: Fail): { fields: Map<string, string>; dataStart: number } {
  const fields = new Map<string, string>();
  let at = 0;
  while (at < Math.min(file.length, MAX_HEADER_BYTES)) {
    let end = file.indexOf(10, at);
    if (end < 0) end = file.length;
    const line = file.toString('latin1', at, end).replace(/\r$/, '');
    at = end + 1;
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    if (eq < 0) throw fail(`header line '${line.slice(0, 40)}' is not 'Key = Value'`);
    const key = line.slice(0, eq).trim().toLowerCase();
    fields.set(key, line.slice(eq + 1).trim());
    if (key === 'elementdatafile') return { fields, dataStart: Math.min(at, file.length) };
  }
  throw fail('the header has no ElementDataFile line, so where the voxels are is unknown');
}

const isTrue = (value: string | undefined) => /^true$/i.test(value ?? '');

/** A MetaImage volume (.mha, or a .mhd and its data file) as float32 voxels, x fastest; a malformed file is E_BAD_IMAGE. */
export function readMetaImage(path: string): Volume {
  const fail: Fail = (what) => new TtlError('E_BAD_IMAGE', `${path}: not a readable MetaImage file (${what})`);
  const file = readWholeFile(path);
  const { fields, dataStart } = readHeader(file, fail);
  const get = (key: string) => fields.get(key.toLowerCase());
  const objectType = get('ObjectType');
  if (objectType !== undefined && !/^image$/i.test(objectType)) throw fail(`ObjectType is '${objectType}', not Image`);
  const dims = Number(get('NDims'));
  const sizes = (get('DimSize') ?? '').split(/\s+/).filter(Boolean).map(Number);
  if (!Number.isInteger(dims) || sizes.length !== dims) throw fail(`NDims = ${get('NDims')} and DimSize = '${get('DimSize') ?? ''}' do not agree`);
  const shape = volumeShape(sizes, fail);
  const channels = Number(get('ElementNumberOfChannels') ?? 1);
  if (channels !== 1) throw fail(`ElementNumberOfChannels = ${get('ElementNumberOfChannels')}: a volume of one value per voxel is expected`);
  const typeName = get('ElementType') ?? '';
  const type = TYPES[typeName.toUpperCase()];
  if (!type) throw fail(`ElementType '${typeName}' is not one of ${Object.keys(TYPES).join(', ')}`);
  const bytes = voxelBytes(shape, type, fail);
  const count = shape[0] * shape[1] * shape[2];
  const littleEndian = !isTrue(get('BinaryDataByteOrderMSB') ?? get('ElementByteOrderMSB'));

  const dataName = get('ElementDataFile')!;
  if (/^LIST/i.test(dataName) || /%/.test(dataName)) throw fail(`ElementDataFile '${dataName}' spreads the voxels over several files; save them as one`);
  let data: Uint8Array = /^LOCAL$/i.test(dataName) ? file.subarray(dataStart) : readWholeFile(dataFileBeside(path, dataName, fail));
  const headerSize = Number(get('HeaderSize') ?? 0);
  if (!Number.isInteger(headerSize) || headerSize < -1) throw fail(`HeaderSize ${get('HeaderSize')} is not a whole number >= -1`);
  const compressed = isTrue(get('CompressedData'));
  if (headerSize === -1 && compressed) throw fail('HeaderSize -1 (data at the end of the file) cannot be used with CompressedData');
  data = headerSize === -1 ? data.subarray(Math.max(0, data.length - bytes)) : data.subarray(headerSize);
  if (!isTrue(get('BinaryData') ?? 'True')) return { shape, spacing: spacingOf(get, fail), values: textVoxels(Buffer.from(data).toString('latin1'), count, fail) };
  if (compressed) data = inflateAtMost(data, bytes, fail);
  return { shape, spacing: spacingOf(get, fail), values: binaryVoxels(data, type, count, littleEndian, fail) };
}

function spacingOf(get: (key: string) => string | undefined, fail: Fail): [number, number, number] {
  const given = get('ElementSpacing') ?? get('ElementSize');
  if (given === undefined) return [1, 1, 1];
  const spacing = given.split(/\s+/).map(Number);
  if (spacing.length < 3 || spacing.slice(0, 3).some((s) => !(s > 0))) throw fail(`ElementSpacing '${given}' is not three positive numbers`);
  return [spacing[0], spacing[1], spacing[2]];
}
