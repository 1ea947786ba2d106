// Each frame's stored values: native pixels sliced per frame (either byte order, planar or interleaved),
// encapsulated ones through their codec. Stored values come out masked to BitsStored and sign-extended, as the
// standard defines them.
import dicomParser from 'dicom-parser';
import { decodeFrame } from './codecs/index.js';
import { upsample422 } from './colour.js';
import { frameLength, TAG, type PixelDescription } from './description.js';
import { dicomError, type ParsedDicom } from './parse.js';

/**
 * Stored values of a frame as the standard defines them: bits above HighBit and below its BitsStored-wide field
 * dropped, two's complement sign-extended from BitsStored. Real files fill the unused high bits with overlays or
 * garbage, and 12/14-bit signed values arrive unextended.
 */
export function maskStored(raw: ArrayLike<number>, d: PixelDescription): Int32Array {
  const out = new Int32Array(raw.length);
  if (!d.signed && d.bitsStored === d.bitsAllocated) {
    out.set(raw); // every bit is the value: nothing to mask or extend (most files)
    return out;
  }
  const shift = d.highBit + 1 - d.bitsStored;
  const mask = d.bitsStored >= 32 ? -1 : (1 << d.bitsStored) - 1;
  const sign = 1 << (d.bitsStored - 1);
  for (let i = 0; i < raw.length; i++) {
    let v = (raw[i] >>> shift) & mask;
    if (d.signed && v & sign) v -= 2 * sign;
    out[i] = v;
  }
  return out;
}

/** Native (uncompressed) frame i as raw samples, interleaved per pixel. */
function nativeFrame(dicom: ParsedDicom, d: PixelDescription, index: number): ArrayLike<number> {
  const { data, path, syntax } = dicom;
  const pixel = data.elements.x7fe00010!;
  const bytesPer = d.bitsAllocated / 8;
  // Native YBR_FULL_422 stores two samples a pixel (Y1 Y2 Cb Cr per pair), upsampled to three.
  const subsampled = d.photometric === 'YBR_FULL_422';
  const n = subsampled ? d.rows * d.columns * 2 : frameLength(d);
  const perFrame = n * bytesPer;
  const need = perFrame * d.frames;
  if (pixel.length < need)
    throw dicomError(path, `${TAG.pixelData} holds ${pixel.length} bytes; ${d.frames} frame(s) of ${d.rows}x${d.columns}x${d.samples} at ${d.bitsAllocated} bits need ${need}`);
  if (pixel.dataOffset + need > data.byteArray.length) throw dicomError(path, `${TAG.pixelData} extends past the end of the file`);
  const start = data.byteArray.byteOffset + pixel.dataOffset + index * perFrame;
  const little = !syntax.bigEndian;
  // Big endian swaps OW data a 16-bit word at a time, 8-bit samples included (an odd-sized RGB image read
  // byte by byte had its samples swapped in pairs); the element's padding byte holds the odd frame's last sample.
  const swappedBytes = !little && bytesPer === 1 && pixel.vr === 'OW';
  const view = new DataView(data.byteArray.buffer, start, Math.min(perFrame + (swappedBytes ? perFrame & 1 : 0), pixel.dataOffset + pixel.length - (start - data.byteArray.byteOffset)));
  // The common case, interleaved little-endian samples, is copied whole; the rest goes sample by sample.
  if (little && !subsampled && !d.planar) {
    const bytes = new Uint8Array(data.byteArray.buffer, start, perFrame).slice();
    return bytesPer === 2 ? new Uint16Array(bytes.buffer) : bytes;
  }
  const raw = new Uint16Array(n);
  const at = (k: number) => (bytesPer === 2 ? view.getUint16(2 * k, little) : view.getUint8(swappedBytes ? k ^ 1 : k));
  if (subsampled) {
    for (let k = 0; k < n; k++) raw[k] = at(k);
    return upsample422(raw, d);
  }
  if (!d.planar) for (let k = 0; k < n; k++) raw[k] = at(k);
  else {
    const plane = d.rows * d.columns;
    for (let p = 0; p < plane; p++) for (let s = 0; s < 3; s++) raw[3 * p + s] = at(s * plane + p);
  }
  return raw;
}

/** The encoded bytes of frame i of encapsulated pixel data (one frame: all fragments; more: by offset table or JPEG markers). */
function encapsulatedFrame(dicom: ParsedDicom, d: PixelDescription, index: number): Uint8Array {
  const { data, path } = dicom;
  const pixel = data.elements.x7fe00010!;
  try {
    if (!pixel.encapsulatedPixelData || !pixel.fragments) throw new Error('the pixel data is not encapsulated');
    if (d.frames === 1) return dicomParser.readEncapsulatedPixelDataFromFragments(data, pixel, 0, pixel.fragments.length);
    if (pixel.fragments.length === d.frames && !pixel.basicOffsetTable?.length) return dicomParser.readEncapsulatedPixelDataFromFragments(data, pixel, index, 1);
    const table = pixel.basicOffsetTable?.length ? pixel.basicOffsetTable : dicomParser.createJPEGBasicOffsetTable(data, pixel);
    if (table.length !== d.frames) throw new Error(`${table.length} frame offsets for ${d.frames} frames`);
    return dicomParser.readEncapsulatedImageFrame(data, pixel, index, table);
  } catch (e) {
    throw dicomError(path, `${TAG.pixelData}: frame ${index + 1} of ${d.frames} cannot be read from the encapsulated fragments (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Frame i's stored values (masked, sign-extended), samples interleaved per pixel, row-major. */
export function storedFrame(dicom: ParsedDicom, d: PixelDescription, index: number): Int32Array {
  const raw = dicom.syntax.codec ? decodeFrame(dicom, d, encapsulatedFrame(dicom, d, index), index) : nativeFrame(dicom, d, index);
  if (raw.length !== frameLength(d)) throw dicomError(dicom.path, `frame ${index + 1} decoded to ${raw.length} samples, the header says ${d.rows}x${d.columns}x${d.samples}`);
  return maskStored(raw, d);
}
