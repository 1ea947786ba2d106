// NIfTI-1 (.nii and .nii.gz): a valid small volume, then lies in dims, datatype, vox_offset (NaN,
// negative, fractional), byte order, and gzip bombs (a tiny header over a huge inflated stream).
import { gzipSync } from 'node:zlib';
import { INTERESTING } from '../rng.mjs';

export function niftiBytes({ dims = [4, 5, 6], datatype = 2, bitpix = 8, voxOffset = 352, data = null, le = true } = {}) {
  const h = Buffer.alloc(352);
  const i32 = (v, o) => (le ? h.writeInt32LE(v, o) : h.writeInt32BE(v, o));
  const i16 = (v, o) => (le ? h.writeInt16LE(v, o) : h.writeInt16BE(v, o));
  const f32 = (v, o) => (le ? h.writeFloatLE(v, o) : h.writeFloatBE(v, o));
  i32(348, 0);
  i16(dims.length, 40);
  dims.slice(0, 7).forEach((d, i) => i16(Number(BigInt.asIntN(16, BigInt(d))), 42 + 2 * i));
  i16(datatype, 70);
  i16(bitpix, 72);
  for (let i = 0; i < 4; i++) f32(1, 76 + 4 * i);
  f32(voxOffset, 108);
  f32(1, 112);
  h.write('n+1\0', 344, 'latin1');
  const numel = dims.reduce((a, b) => a * Math.max(0, b), 1);
  const body = data ?? Buffer.alloc(Math.min(numel * (bitpix / 8), 1 << 20), 3);
  return Buffer.concat([h, body]);
}

let zeros = null;
/** One gzip member of 64 MB of zeros, made once: appended as a second member it turns any file into a bomb. */
const zerosMember = () => (zeros ??= gzipSync(Buffer.alloc(64 * 1024 * 1024)));

export function generate(r) {
  const spec = { dims: [2 + r.int(6), 2 + r.int(6), 1 + r.int(4)], datatype: 2, bitpix: 8, voxOffset: 352, le: r.chance(0.8) };
  let extra = null;
  for (let m = r.int(4) - 1; m >= 0; m--) {
    switch (r.int(8)) {
      case 0: spec.dims[r.int(3)] = r.pick([-122, 0, -1, 32767, -32768]); break;
      case 1: spec.voxOffset = r.pick([NaN, -352, 0, 352.5, 1e9, Infinity]); break;
      case 2: spec.datatype = r.pick([0, 1, 3, 128, 2304, 16, 64]); spec.bitpix = r.pick([8, 32, 64]); break;
      case 3: spec.dims = [r.pick([0, 8, -1, 9]), 2, 2].slice(0, 1 + r.int(3)); break;
      case 4: spec.dims = [32767, 32767, 32767]; break; // declares 35 TB
      case 5: extra = 'bomb'; break;
      case 6: spec.dims[r.int(3)] = r.pick(INTERESTING) & 0x7fff; break;
      default: extra = 'truncate'; break;
    }
  }
  let bytes = niftiBytes(spec);
  if (extra === 'truncate') bytes = bytes.subarray(0, r.int(bytes.length));
  const gz = extra === 'bomb' || r.chance(0.5);
  const name = gz ? 'volume.nii.gz' : 'volume.nii';
  // A bomb: the header declares a small volume, the stream inflates to 64 MB of zeros after it.
  const data = gz ? Buffer.concat([gzipSync(bytes), ...(extra === 'bomb' ? [zerosMember()] : [])]) : bytes;
  return { files: [{ path: name, data }], entry: name };
}
