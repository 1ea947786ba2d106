// DICOM with compressed pixel data: a 16 x 16 frame (gray or RGB) encoded by the same libraries' encoders
// (Cornerstone's CharLS, OpenJPEG and OpenJPH builds, sharp's libjpeg-turbo; RLE and deflate written here), wrapped
// as encapsulated pixel data, then lies: frame counts that do not match the fragments, sizes the stream does not
// have, RLE segment offsets, bytes flipped inside the codestream, truncated fragments, a deflate bomb.
import { createRequire } from 'node:module';
import { deflateRawSync } from 'node:zlib';
import sharp from 'sharp';
import { element, us } from '../../test/support/dicom-element.mjs';

const require = createRequire(import.meta.url);
const SIZE = 16;
const SYNTAX = { rle: '1.2.840.10008.1.2.5', jpeg: '1.2.840.10008.1.2.4.50', jls: '1.2.840.10008.1.2.4.80', j2k: '1.2.840.10008.1.2.4.90', htj2k: '1.2.840.10008.1.2.4.201' };

const pixels = (samples) => Buffer.from(Array.from({ length: SIZE * SIZE * samples }, (_, i) => (i * 37 + (i >> 4) * 11) & 0xff));

/** PackBits with literal runs only: a valid RLE segment. */
function packBits(bytes) {
  const out = [];
  for (let i = 0; i < bytes.length; i += 128) {
    const run = bytes.subarray(i, i + 128);
    out.push(run.length - 1, ...run);
  }
  return Buffer.from(out);
}

function rle(samples) {
  const plane = pixels(samples);
  const segments = Array.from({ length: samples }, (_, s) => packBits(Buffer.from(Array.from({ length: SIZE * SIZE }, (_, p) => plane[p * samples + s]))));
  const header = Buffer.alloc(64);
  header.writeUInt32LE(samples, 0);
  let at = 64;
  segments.forEach((seg, s) => (header.writeUInt32LE(at, 4 + 4 * s), (at += seg.length)));
  return Buffer.concat([header, ...segments]);
}

const encoders = new Map();
async function wasmEncoder(spec, name) {
  if (!encoders.has(spec)) encoders.set(spec, await require(spec)({ print: () => {}, printErr: () => {} }));
  return new (encoders.get(spec)[name])();
}

/** One frame encoded by a library's encoder: the codestream bytes. */
async function encode(codec, samples) {
  const data = pixels(samples);
  if (codec === 'rle') return rle(samples);
  if (codec === 'jpeg') return sharp(data, { raw: { width: SIZE, height: SIZE, channels: samples } }).jpeg({ quality: 90 }).toBuffer();
  const [spec, name] = { jls: ['@cornerstonejs/codec-charls/wasmjs', 'JpegLSEncoder'], j2k: ['@cornerstonejs/codec-openjpeg/wasmjs', 'J2KEncoder'], htj2k: ['@cornerstonejs/codec-openjph/wasmjs', 'HTJ2KEncoder'] }[codec];
  const encoder = await wasmEncoder(spec, name);
  encoder.getDecodedBuffer({ width: SIZE, height: SIZE, bitsPerSample: 8, componentCount: samples, isSigned: false, isUsingColorTransform: false }).set(data);
  if (codec !== 'jls') encoder.setQuality(true, 0);
  if (codec === 'j2k') encoder.setDecompositions(2); // OpenJPEG's default 5 levels need more than 16 x 16
  encoder.encode();
  const out = Buffer.from(encoder.getEncodedBuffer());
  encoder.delete();
  return out;
}

const item = (value) => {
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt16LE(0xe000, 2);
  head.writeUInt32LE(value.length, 4);
  return Buffer.concat([head, value]);
};

/** Encapsulated pixel data: an undefined-length OB element, an empty offset table, the fragments, a delimiter. */
function encapsulated(fragments) {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x7fe0, 0);
  head.writeUInt16LE(0x0010, 2);
  head.write('OB', 4, 'latin1');
  head.writeUInt32LE(0xffffffff, 8);
  const end = Buffer.alloc(8);
  end.writeUInt16LE(0xfffe, 0);
  end.writeUInt16LE(0xe0dd, 2);
  return Buffer.concat([head, item(Buffer.alloc(0)), ...fragments.map((f) => item(f.length % 2 ? Buffer.concat([f, Buffer.alloc(1)]) : f)), end]);
}

function file(syntax, dataset) {
  const meta = Buffer.concat([element(2, 1, 'OB', Buffer.from([0, 1])), element(2, 2, 'UI', Buffer.from('1.2.840.10008.5.1.4.1.1.7')),
    element(2, 3, 'UI', Buffer.from('1.2.3.4')), element(2, 0x10, 'UI', Buffer.from(syntax))]);
  const gl = Buffer.alloc(4);
  gl.writeUInt32LE(meta.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), element(2, 0, 'UL', gl), meta, dataset]);
}

function pixelModule({ samples, rows = SIZE, columns = SIZE, frames = 1, photometric }) {
  return Buffer.concat([
    element(0x28, 2, 'US', us(samples)), element(0x28, 4, 'CS', Buffer.from(photometric ?? (samples === 3 ? 'RGB' : 'MONOCHROME2'))),
    element(0x28, 8, 'IS', Buffer.from(String(frames))), element(0x28, 0x10, 'US', us(rows)), element(0x28, 0x11, 'US', us(columns)),
    element(0x28, 0x100, 'US', us(8)), element(0x28, 0x101, 'US', us(8)), element(0x28, 0x102, 'US', us(7)), element(0x28, 0x103, 'US', us(0)),
  ]);
}

let bomb;
/** A deflated data set that inflates to 200 MiB of zeros (past the 128 MiB bound) from a few hundred KiB. */
function deflateBomb() {
  bomb ??= deflateRawSync(Buffer.alloc(200 * 1024 * 1024));
  return file('1.2.840.10008.1.2.1.99', bomb);
}

export async function generate(r) {
  if (r.chance(0.08)) return { files: [{ path: 'bomb', data: deflateBomb() }], entry: 'bomb' };
  const codec = r.pick(Object.keys(SYNTAX));
  const samples = r.pick([1, 3]);
  let stream = await encode(codec, samples);
  const spec = { samples, frames: 1 };
  let fragments = [stream];
  switch (r.int(7)) {
    case 0: spec.frames = r.pick([0, 2, 3, 65535, -1]); break;
    case 1: spec.rows = r.pick([0, 1, 65535, 4096]); spec.columns = r.pick([1, 65535, 17]); break;
    case 2: { // flip bytes inside the codestream, past its first header bytes
      stream = Buffer.from(stream);
      for (let k = 1 + r.int(8); k > 0; k--) stream[Math.min(stream.length - 1, 2 + r.int(stream.length))] ^= 1 << r.int(8);
      fragments = [stream];
      break;
    }
    case 3: fragments = [stream.subarray(0, r.int(stream.length))]; break;
    case 4: if (codec === 'rle') (stream = Buffer.from(stream)).writeUInt32LE(r.pick([0, 63, 2 ** 31, stream.length + 10, 65]), 4 * (1 + r.int(samples))); fragments = [stream]; break;
    case 5: fragments = [stream.subarray(0, stream.length >> 1), stream.subarray(stream.length >> 1)]; spec.frames = r.pick([1, 2]); break;
    default: spec.photometric = r.pick(['YBR_FULL', 'YBR_FULL_422', 'PALETTE COLOR', 'MONOCHROME1', 'HSV']); break;
  }
  return { files: [{ path: 'frame', data: file(SYNTAX[codec], Buffer.concat([pixelModule(spec), encapsulated(fragments)])) }], entry: 'frame' };
}
