// RLE Lossless (PS3.5 Annex G), the one codec written here: a 64-byte header of segment offsets, then one
// PackBits-coded segment per byte plane (most significant byte first) of each sample. No package decodes it on
// its own, and it is short.
import { dicomError } from '../parse.js';
import type { PixelDescription } from '../description.js';

function unpackBits(bytes: Uint8Array, start: number, end: number, out: Uint8Array, where: string): void {
  let i = start;
  let o = 0;
  while (i < end && o < out.length) {
    const n = (bytes[i++] << 24) >> 24; // signed header byte
    if (n >= 0) {
      const count = n + 1;
      if (i + count > end || o + count > out.length) throw new Error(`${where}: a literal run of ${count} bytes overruns its segment or the frame`);
      out.set(bytes.subarray(i, i + count), o);
      i += count;
      o += count;
    } else if (n !== -128) {
      const count = 1 - n;
      if (i >= end || o + count > out.length) throw new Error(`${where}: a replicate run of ${count} bytes overruns its segment or the frame`);
      out.fill(bytes[i++], o, o + count);
      o += count;
    }
  }
  if (o !== out.length) throw new Error(`${where}: decodes to ${o} bytes, ${out.length} expected`);
}

export function decodeRle(bytes: Uint8Array, d: PixelDescription, path: string, frame: number): Uint16Array {
  const fail = (what: string) => dicomError(path, `RLE frame ${frame + 1}: ${what}`);
  if (bytes.length < 64) throw fail(`${bytes.length} bytes, shorter than the 64-byte RLE header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const segments = view.getUint32(0, true);
  const bytesPer = d.bitsAllocated / 8;
  if (segments !== d.samples * bytesPer) throw fail(`${segments} segments; ${d.samples} sample(s) of ${d.bitsAllocated} bits need ${d.samples * bytesPer}`);
  const offsets = Array.from({ length: segments }, (_, s) => view.getUint32(4 + 4 * s, true));
  const plane = d.rows * d.columns;
  const out = new Uint16Array(plane * d.samples);
  const segment = new Uint8Array(plane);
  for (let s = 0; s < segments; s++) {
    const start = offsets[s];
    const end = s + 1 < segments ? offsets[s + 1] : bytes.length;
    if (start < 64 || end > bytes.length || start > end) throw fail(`segment ${s + 1} spans bytes ${start}-${end} of ${bytes.length}`);
    try {
      unpackBits(bytes, start, end, segment, `segment ${s + 1}`);
    } catch (e) {
      throw fail((e as Error).message);
    }
    const sample = Math.floor(s / bytesPer);
    const shift = 8 * (bytesPer - 1 - (s % bytesPer));
    for (let p = 0; p < plane; p++) out[p * d.samples + sample] |= segment[p] << shift;
  }
  return out;
}
