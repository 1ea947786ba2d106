// NRRD and MetaImage: a valid small volume with a text header, attached or in a detached data file, then lies in
// the fields (sizes, types, encodings, byte skips, data file names that leave the folder or list many files),
// truncated or garbled data, and compressed bombs (a header declaring a few voxels over a stream of megabytes).
import { deflateSync, gzipSync } from 'node:zlib';
import { INTERESTING } from '../rng.mjs';

const TYPES = { nrrd: ['short', 'uchar', 'float', 'double', 'int8', 'uint64', 'block', 'long double'], mha: ['MET_SHORT', 'MET_UCHAR', 'MET_FLOAT', 'MET_DOUBLE', 'MET_LONG_LONG', 'MET_STRING'] };
const BYTES = { short: 2, uchar: 1, float: 4, double: 8, int8: 1, uint64: 8, MET_SHORT: 2, MET_UCHAR: 1, MET_FLOAT: 4, MET_DOUBLE: 8, MET_LONG_LONG: 8 };

let bomb = null;
const bombData = () => (bomb ??= Buffer.alloc(32 * 1024 * 1024));

function lie(r, spec) {
  switch (r.int(9)) {
    case 0: spec.sizes[r.int(spec.sizes.length)] = r.pick([0, -1, 1.5, NaN, ...INTERESTING]); break;
    case 1: spec.sizes = spec.sizes.slice(0, 1 + r.int(3)); break;
    case 2: spec.type = r.pick(TYPES[spec.kind]); break;
    case 3: spec.encoding = r.pick(['raw', 'gzip', 'ascii', 'hex', 'bzip2', 'lzma', '']); break;
    case 4: spec.skip = r.pick([-1, -2, 1e9, 3, NaN]); break;
    case 5: spec.dataFile = r.pick(['../outside.raw', '/etc/hostname', 'missing.raw', 'LIST', 'slice%03d.raw 1 3 1', '.']); break;
    case 6: spec.truncate = true; break;
    case 7: spec.bomb = true; break;
    default: spec.garble = true; break;
  }
}

function voxels(spec) {
  const count = spec.sizes.reduce((a, b) => a * Math.max(0, Number(b) || 0), 1);
  const bytes = Math.min(count * (BYTES[spec.type] ?? 1), 1 << 20);
  if (spec.encoding === 'ascii') return Buffer.from(Array.from({ length: Math.min(count, 1 << 16) }, (_, i) => String(i % 251)).join(' '));
  const raw = Buffer.from(Array.from({ length: bytes }, (_, i) => (i * 31) & 0xff));
  if (spec.encoding === 'hex') return Buffer.from(raw.toString('hex').replace(/(.{64})/g, '$1\n'));
  if (spec.bomb) return spec.kind === 'nrrd' ? gzipSync(bombData()) : deflateSync(bombData());
  if (spec.encoding === 'gzip') return spec.kind === 'nrrd' ? gzipSync(raw) : deflateSync(raw);
  return raw;
}

function header(spec) {
  if (spec.kind === 'nrrd')
    return [`NRRD0004`, `type: ${spec.type}`, `dimension: ${spec.sizes.length}`, `sizes: ${spec.sizes.join(' ')}`, 'endian: little',
      `encoding: ${spec.encoding}`, ...(spec.skip !== undefined ? [`byte skip: ${spec.skip}`] : []),
      'space directions: (1,0,0) (0,2,0) (0,0,3)', ...(spec.dataFile ? [`data file: ${spec.dataFile}`] : [])].join('\n') + '\n' + (spec.dataFile ? '' : '\n');
  return [`ObjectType = Image`, `NDims = ${spec.sizes.length}`, `DimSize = ${spec.sizes.join(' ')}`, `ElementType = ${spec.type}`,
    'ElementSpacing = 1 2 3', ...(spec.encoding === 'gzip' || spec.bomb ? ['CompressedData = True'] : []), ...(spec.encoding === 'ascii' ? ['BinaryData = False'] : []),
    ...(spec.skip !== undefined ? [`HeaderSize = ${spec.skip}`] : []), `ElementDataFile = ${spec.dataFile ?? 'LOCAL'}`].join('\n') + '\n';
}

function generate(r, kind) {
  const spec = { kind, sizes: [2 + r.int(5), 2 + r.int(5), 1 + r.int(4)], type: TYPES[kind][r.int(4)], encoding: r.pick(['raw', 'gzip', 'ascii', 'hex']) };
  if (kind === 'mha' && spec.encoding === 'hex') spec.encoding = 'raw';
  const detached = r.chance(0.3);
  if (detached) spec.dataFile = 'volume.raw';
  for (let m = r.int(4) - 1; m >= 0; m--) lie(r, spec);
  let data = voxels(spec);
  if (spec.truncate) data = data.subarray(0, r.int(data.length));
  let head = Buffer.from(header(spec));
  if (spec.garble) {
    head = Buffer.from(head);
    for (let i = r.int(4) + 1; i > 0; i--) head[r.int(head.length)] = r.pick([0, 10, 0x3a, 0x3d, 0x28, 0xff]);
  }
  const name = kind === 'nrrd' ? (spec.dataFile ? 'volume.nhdr' : 'volume.nrrd') : spec.dataFile ? 'volume.mhd' : 'volume.mha';
  const files = spec.dataFile ? [{ path: name, data: head }, { path: 'volume.raw', data }] : [{ path: name, data: Buffer.concat([head, data]) }];
  return { files, entry: name };
}

export const generateNrrd = (r) => generate(r, 'nrrd');
export const generateMetaImage = (r) => generate(r, 'mha');
