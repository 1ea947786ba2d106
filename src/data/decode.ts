// Decodes one image file (PNG/JPEG, 8- or 16-bit, via sharp; DICOM via dicom-parser) to a fixed size.
import { extname } from 'node:path';
import sharp from 'sharp';
import { TtlError } from '../errors.js';
import { readDicom, type GrayImage } from './dicom/index.js';

export interface Decoded {
  /** Row-major H x W x C samples at the file's depth (8 or 16 bits). */
  data: Uint8Array | Uint16Array;
  channels: 1 | 3;
}

const DICOM = new Set(['.dcm', '.dicom']);
/** Images are downscaled for training; a larger file is refused from its header, before decoding. */
export const MAX_PIXELS = 64 * 1024 * 1024;

async function checkedMetadata(path: string) {
  let meta;
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch (e) {
    throw new TtlError('E_BAD_IMAGE', `${path}: cannot decode image (${e instanceof Error ? e.message : String(e)})`);
  }
  const { width = 0, height = 0 } = meta;
  if (width * height > MAX_PIXELS)
    throw new TtlError('E_BAD_IMAGE', `${path}: the image is ${width}x${height} (${((width * height) / 1e6).toFixed(0)} Mpx), over the ${MAX_PIXELS / 1024 / 1024} Mpx limit: downscale it first`);
  return meta;
}

export const isDicom = (path: string) => DICOM.has(extname(path).toLowerCase());

/** Bilinear resize (pixel centres aligned, as align_corners=false) of a gray image to size x size, as uint16. */
function resizeGray(image: GrayImage, size: number): Uint16Array {
  const out = new Uint16Array(size * size);
  const sx = image.width / size;
  const sy = image.height / size;
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), image.height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, image.height - 1);
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), image.width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, image.width - 1);
      const p = image.pixels;
      const top = p[y0 * image.width + x0] * (1 - (fx - x0)) + p[y0 * image.width + x1] * (fx - x0);
      const bottom = p[y1 * image.width + x0] * (1 - (fx - x0)) + p[y1 * image.width + x1] * (fx - x0);
      out[y * size + x] = Math.round((top * (1 - (fy - y0)) + bottom * (fy - y0)) * 65535);
    }
  }
  return out;
}

/**
 * Decodes `path` resized to size x size with `channels` channels. `sixteenBit` keeps 16-bit samples
 * (16-bit PNGs and DICOM); 8-bit files are then scaled to 16 bits so one dataset has one depth.
 */
export async function decodeImage(path: string, size: number, channels: 1 | 3, sixteenBit: boolean): Promise<Decoded> {
  if (isDicom(path)) {
    if (channels !== 1) throw new TtlError('E_BAD_IMAGE', `${path}: DICOM images are grayscale; use channels 1 (gray)`);
    return { data: resizeGray(readDicom(path), size), channels: 1 };
  }
  try {
    let pipeline = sharp(path, { failOn: 'error', limitInputPixels: MAX_PIXELS }).resize(size, size, { fit: 'fill' });
    pipeline = channels === 1 ? pipeline.toColourspace(sixteenBit ? 'grey16' : 'b-w') : pipeline.removeAlpha().toColourspace(sixteenBit ? 'rgb16' : 'srgb');
    const { data, info } = await pipeline.raw(sixteenBit ? { depth: 'ushort' } : {}).toBuffer({ resolveWithObject: true });
    if (info.channels !== channels) throw new Error(`decoded to ${info.channels} channels, expected ${channels}`);
    if (!sixteenBit) return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), channels };
    const copy = new Uint8Array(data); // align for a Uint16Array view
    return { data: new Uint16Array(copy.buffer, 0, copy.byteLength / 2), channels };
  } catch (e) {
    // The pixel limit refuses large files from their header; read it again only then, to say how large.
    if (e instanceof Error && /pixel limit/i.test(e.message)) await checkedMetadata(path);
    throw new TtlError('E_BAD_IMAGE', `${path}: cannot decode image (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** Whether a file holds more than 8 bits per sample (16-bit PNG/TIFF, or DICOM); JPEGs are 8-bit here. */
export async function isHighDepth(path: string): Promise<boolean> {
  if (isDicom(path)) return true;
  // libvips decodes JPEG to 8 bits: no header to read (a first-pass decode of a large JPEG set saves a file open each).
  if (/\.jpe?g$/i.test(path)) return false;
  const meta = await checkedMetadata(path);
  return meta.depth === 'ushort' || meta.depth === 'short';
}

/** Number of colour channels of a file (1 gray, 3 colour). */
export async function channelsOf(path: string): Promise<1 | 3> {
  if (isDicom(path)) return 1;
  const meta = await checkedMetadata(path);
  return meta.channels && meta.channels >= 3 && meta.space !== 'b-w' ? 3 : 1;
}
