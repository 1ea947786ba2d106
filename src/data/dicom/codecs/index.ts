// One frame of encapsulated pixel data to its samples (interleaved per pixel), by the transfer syntax's codec.
// Which decoder, and why: RLE is written here (codecs/rle.ts); JPEG Lossless is jpeg-lossless-decoder-js (the
// decoder Cornerstone uses, pure JS); the others are WebAssembly builds of the reference libraries (codecs/wasm.ts).
import { createRequire } from 'node:module';
import { dicomError, type ParsedDicom } from '../parse.js';
import type { PixelDescription } from '../description.js';
import { asDeclaredRgb } from './jpeg-rgb.js';
import { decodeRle } from './rle.js';
import { streamSize } from './stream-header.js';
import { decodeWasm, type WasmCodec, type WasmFrame } from './wasm.js';

const require = createRequire(import.meta.url);

interface LosslessDecoder {
  /** Samples interleaved, 1 byte each up to 8 bits of precision, else 2 (little-endian). */
  decompress(buffer: ArrayBuffer, offset: number, length: number): ArrayBuffer;
}
let lossless: (new () => LosslessDecoder) | undefined;

function decodeJpegLossless(encoded: Uint8Array, d: PixelDescription): ArrayLike<number> {
  lossless ??= (require('jpeg-lossless-decoder-js') as { Decoder: new () => LosslessDecoder }).Decoder;
  const out = new lossless().decompress(encoded.buffer as ArrayBuffer, encoded.byteOffset, encoded.byteLength);
  return d.bitsAllocated > 8 ? new Uint16Array(out) : new Uint8Array(out);
}

/**
 * A WebAssembly decoder's output as samples interleaved per pixel. Its size was checked against the header before
 * decoding (stream-header.ts), and its length is checked again with every frame's (pixel-data.ts).
 */
function samplesOf(frame: WasmFrame, d: PixelDescription): ArrayLike<number> {
  const { info, bytes } = frame;
  const wide = info.bitsPerSample > 8;
  const values = wide ? new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 1) : bytes;
  const plane = d.rows * d.columns;
  if (frame.interleave !== 0 || d.samples === 1) return values;
  // JPEG-LS "ILV none" comes back one component after another.
  const out = new Uint16Array(values.length);
  for (let p = 0; p < plane; p++) for (let s = 0; s < d.samples; s++) out[p * d.samples + s] = values[s * plane + p];
  return out;
}

const WASM_CODECS: Partial<Record<string, WasmCodec>> = { 'jpeg-ls': 'charls', jpeg2000: 'openjpeg', htj2k: 'openjph' };

/** Frame `index` (0-based) decoded from its encapsulated bytes; a decoder's failure becomes a coded error naming the file and frame. */
export function decodeFrame(dicom: ParsedDicom, d: PixelDescription, encoded: Uint8Array, index: number): ArrayLike<number> {
  const { syntax, path } = dicom;
  const codec = syntax.codec!;
  if (codec === 'rle') return decodeRle(encoded, d, path, index);
  const declared = streamSize(codec, encoded);
  if (!declared) throw dicomError(path, `${syntax.name}: frame ${index + 1} of ${d.frames} has no ${codec} header to read its size from`);
  if (declared.width !== d.columns || declared.height !== d.rows || declared.components !== d.samples)
    throw dicomError(path, `${syntax.name}: frame ${index + 1} of ${d.frames} is a ${declared.width}x${declared.height} stream with ${declared.components} component(s); (0028,0010) Rows, (0028,0011) Columns and (0028,0002) SamplesPerPixel say ${d.columns}x${d.rows} with ${d.samples}`);
  try {
    if (codec === 'jpeg-lossless') return decodeJpegLossless(encoded, d);
    const jpeg8 = codec === 'jpeg-baseline' || (codec === 'jpeg-extended' && d.bitsStored <= 8);
    if (jpeg8) return samplesOf(decodeWasm('libjpegTurbo', d.photometric === 'RGB' ? asDeclaredRgb(encoded) : encoded), d);
    const wasm = WASM_CODECS[codec];
    // 12-bit JPEG (Process 4) has no well-kept JavaScript or WebAssembly decoder yet: refused by name.
    if (!wasm) throw new Error(`no decoder for ${syntax.name} with ${d.bitsStored} bits stored: transcode the file first (dcmdjpeg, or gdcmconv --raw)`);
    return samplesOf(decodeWasm(wasm, encoded), d);
  } catch (e) {
    const reason = e instanceof Error ? e.message : typeof e === 'number' ? `the decoder aborted (${e})` : String(e);
    throw dicomError(path, `${syntax.name}: frame ${index + 1} of ${d.frames} cannot be decoded (${reason})`);
  }
}
