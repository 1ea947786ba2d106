// NumPy .npy / MedMNIST .npz: valid arrays, then lies in the header dict (shape, dtype, lengths), in
// label values (1e8 classes from one label), in the zip directory's sizes (deflate bombs), and big but
// legitimate label arrays (TissueMNIST's 236,386 labels).
import { deflateRawSync } from 'node:zlib';
import { INTERESTING } from '../rng.mjs';
import { zipBytes } from './zip.mjs';

export function npyBytes(descr, shape, data, { headerText = null, version = 1 } = {}) {
  let text = headerText ?? `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = version === 1 ? 10 : 12;
  text += ' '.repeat((64 - ((pre + text.length + 1) % 64)) % 64) + '\n';
  const head = Buffer.alloc(pre);
  head[0] = 0x93;
  head.write('NUMPY', 1, 'latin1');
  head[6] = version;
  if (version === 1) head.writeUInt16LE(text.length, 8);
  else head.writeUInt32LE(text.length, 8);
  return Buffer.concat([head, Buffer.from(text, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

function headerLie(r, shape) {
  return r.pick([
    `{'descr': '<u1', 'fortran_order': False, 'shape': (-${shape[0]}, 3), }`,
    `{'descr': '<u1', 'fortran_order': False, 'shape': (${r.pick(INTERESTING)}, ${r.pick(INTERESTING)}), }`,
    `{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }`,
    `{'descr': '<U8', 'fortran_order': False, 'shape': (2,), }`,
    `{'descr': '<u1', 'fortran_order': True, 'shape': (2,), }`,
    `{'descr': '<u1', 'fortran_order': False, 'shape': (1e9,), }`,
    `{'descr': '<u1', 'shape': (2,), }`,
    `not a dict at all`,
  ]);
}

export function generateNpy(r) {
  const shape = [1 + r.int(6), 1 + r.int(6)];
  const data = Uint8Array.from({ length: shape[0] * shape[1] }, (_, i) => i);
  let bytes = npyBytes('<u1', shape, data, r.chance(0.6) ? { headerText: headerLie(r, shape), version: r.pick([1, 2]) } : {});
  if (r.chance(0.3)) bytes = r.chance(0.5) ? bytes.subarray(0, r.int(bytes.length)) : Buffer.concat([bytes.subarray(0, 8), Buffer.from([0xff, 0xff, 0xff, 0x7f]), bytes.subarray(12)]);
  if (r.chance(0.2)) bytes[6] = r.pick([0, 4, 255]);
  return { files: [{ path: 'array.npy', data: bytes }], entry: 'array.npy' };
}

let zeros = null;
const zerosDeflated = () => (zeros ??= deflateRawSync(Buffer.alloc(64 * 1024 * 1024)));

export function generateNpz(r) {
  const big = r.chance(0.08);
  const n = big ? 236386 : 4 + r.int(8);
  const side = big ? 1 : 2 + r.int(6);
  const labelType = r.pick(['<u1', '<i8', '<f8', '<i4']);
  const Labels = { '<u1': Uint8Array, '<i8': BigInt64Array, '<f8': Float64Array, '<i4': Int32Array }[labelType];
  const entries = [];
  for (const split of ['train', 'val', 'test']) {
    const images = new Uint8Array(n * side * side).map((_, i) => (i * 37) & 0xff);
    const labels = new Labels(n);
    for (let i = 0; i < n; i++) labels[i] = labelType === '<i8' ? BigInt(i % 2) : i % 2;
    entries.push({ name: `${split}_images.npy`, data: npyBytes('<u1', [n, side, side], images), deflate: true });
    entries.push({ name: `${split}_labels.npy`, data: npyBytes(labelType, [n, 1], labels), deflate: true });
  }
  for (let m = r.int(4) - 1; m >= 0 && !big; m--) {
    const e = r.pick(entries);
    switch (r.int(7)) {
      case 0: { // one label value far beyond the classes
        const labels = new Labels(n);
        labels[r.int(n)] = labelType === '<i8' ? BigInt(r.pick([1e8, -1, 2 ** 40])) : r.pick([1e8, 255, -1, 0.5, NaN]);
        const split = r.pick(['train', 'val', 'test']);
        const target = entries.find((x) => x.name === `${split}_labels.npy`);
        if (target) target.data = npyBytes(labelType, [n, 1], labels);
        break;
      }
      case 1: e.data = npyBytes('<u1', [1], new Uint8Array(1), { headerText: headerLie(r, [n]) }); break;
      case 2: { // a deflate bomb: megabytes of zeros, the directory declaring a few bytes
        e.data = Buffer.alloc(0); // (only its CRC would be computed, and the reader does not check CRCs)
        e.compressed = zerosDeflated();
        e.deflate = true;
        e.declaredSize = r.pick([100, 4096, 2 ** 32 - 1, 64 * 1024 * 1024]);
        break;
      }
      case 3: e.declaredSize = r.pick(INTERESTING.filter((v) => v >= 0 && v < 2 ** 32)); break;
      case 4: entries.splice(entries.indexOf(e), 1); break;
      case 5: e.declaredCompressed = r.pick([0, 1, 2 ** 31]); break;
      default: e.name = r.pick(['../evil.npy', '', 'train_images.npy']); break;
    }
  }
  return { files: [{ path: 'data.npz', data: zipBytes(entries) }], entry: 'data.npz' };
}
