// Decodes one image file (PNG/JPEG, 8- or 16-bit, via sharp; DICOM, recognised by content, via data/dicom) to a
// fixed size.
import { closeSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import sharp from 'sharp';
import { invalidParameterError, TtlError } from '../errors.js';
import { MAX_PIXELS } from './limits.js';
import { checkWindowPolicy, looksLikeDicom, readDicomAsync, readDicomHeader, type DicomImage, type WindowPolicy } from './dicom/index.js';

export interface Decoded {
  /** Row-major H x W x C samples at the file's depth (8 or 16 bits). */
  data: Uint8Array | Uint16Array;
  channels: 1 | 3;
}

/** Formats sharp reads, by extension: their files are not opened once more to look for DICOM. */
const SHARP_FORMATS = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp', '.gif', '.avif', '.heic']);

/** The frame policies for multi-frame DICOM: see DicomDecoding.frame. */
export const FRAME_POLICIES = ['middle', 'all', 'volume'] as const;

/** How a DICOM file becomes network input: its window policy, and what becomes of a multi-frame object. */
export interface DicomDecoding {
  window?: WindowPolicy;
  /**
   * Multi-frame objects: with a 2D network one 0-based frame, 'middle', or 'all' (every frame a sample with the
   * file's label, the frames of one file kept in one split; a predictor averages the frames' probabilities);
   * 'volume' makes each file's frames one volume for a 3D network. Without a policy a multi-frame file is refused
   * rather than cut to its first frame.
   */
  frame?: number | (typeof FRAME_POLICIES)[number];
}

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

/** Refuses DICOM decoding options that are not ones, naming the field, before any file is read. */
export function checkDicomDecoding(options: DicomDecoding | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) throw invalidParameterError('dicom', "an object { window?, frame? }", options);
  if (options.window !== undefined) checkWindowPolicy(options.window, 'dicom.window');
  const { frame } = options;
  if (frame !== undefined && !FRAME_POLICIES.includes(frame as never) && !(Number.isInteger(frame) && (frame as number) >= 0))
    throw invalidParameterError('dicom.frame', `${FRAME_POLICIES.map((p) => `'${p}'`).join(', ')} or a frame number >= 0`, frame);
}

/**
 * Whether a file is DICOM, by its content (the DICM preamble, or a data set without one): PACS exports are named
 * by UID or not at all. Files with the extension of a format sharp reads are taken as that format.
 */
export function isDicom(path: string): boolean {
  if (SHARP_FORMATS.has(extname(path).toLowerCase())) return false;
  const head = new Uint8Array(132);
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    return looksLikeDicom(head.subarray(0, readSync(fd, head, 0, head.length, 0)));
  } catch {
    return false; // unreadable: the decoder that is tried next says why
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Bilinear resize (pixel centres aligned, as align_corners=false) of one frame of `channels` interleaved samples in
 * [0, 1] to size x size, as uint16.
 */
function resize(pixels: Float32Array, width: number, height: number, channels: number, size: number): Uint16Array {
  const out = new Uint16Array(size * size * channels);
  const sx = width / size;
  const sy = height / size;
  for (let y = 0; y < size; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), height - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, height - 1);
    for (let x = 0; x < size; x++) {
      const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), width - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, width - 1);
      const [a, b, c, d] = [(y0 * width + x0) * channels, (y0 * width + x1) * channels, (y1 * width + x0) * channels, (y1 * width + x1) * channels];
      for (let k = 0; k < channels; k++) {
        const top = pixels[a + k] * (1 - (fx - x0)) + pixels[b + k] * (fx - x0);
        const bottom = pixels[c + k] * (1 - (fx - x0)) + pixels[d + k] * (fx - x0);
        out[(y * size + x) * channels + k] = Math.round((top * (1 - (fy - y0)) + bottom * (fy - y0)) * 65535);
      }
    }
  }
  return out;
}

/** A decoded DICOM image with `channels` channels: gray repeated to RGB, or RGB to gray by BT.601 luma (as PIL). */
function withChannels(image: DicomImage, channels: 1 | 3): Float32Array {
  if (image.channels === channels) return image.pixels;
  const n = image.width * image.height;
  const p = image.pixels;
  const out = new Float32Array(n * channels);
  if (channels === 3) for (let i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = p[i];
  else for (let i = 0; i < n; i++) out[i] = 0.299 * p[3 * i] + 0.587 * p[3 * i + 1] + 0.114 * p[3 * i + 2];
  return out;
}

async function decodeDicom(path: string, size: number, channels: 1 | 3, options: DicomDecoding): Promise<Decoded> {
  const { frames } = readDicomHeader(path);
  // 'all' reaches here per frame (a dataset's entries, a predictor's frames); 'volume' files are read as volumes.
  if (frames > 1 && (options.frame === undefined || options.frame === 'all' || options.frame === 'volume'))
    throw new TtlError('E_BAD_IMAGE', `${path}: (0028,0008) NumberOfFrames is ${frames}: a multi-frame object needs a frame policy for a 2D network (dicom.frame: 'middle', 'all' or a frame number, --dicom-frame)`);
  const frame = options.frame === 'middle' ? Math.floor(frames / 2) : typeof options.frame === 'number' ? options.frame : 0;
  const image = await readDicomAsync(path, { window: options.window, frame });
  return { data: resize(withChannels(image, channels), image.width, image.height, channels, size), channels };
}

/**
 * Decodes `path` resized to size x size with `channels` channels. `sixteenBit` keeps 16-bit samples
 * (16-bit PNGs and DICOM); 8-bit files are then scaled to 16 bits so one dataset has one depth.
 */
export async function decodeImage(path: string, size: number, channels: 1 | 3, sixteenBit: boolean, dicom: DicomDecoding = {}): Promise<Decoded> {
  if (isDicom(path)) return decodeDicom(path, size, channels, dicom);
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

/** Number of colour channels of a file (1 gray, 3 colour: RGB, YBR and palette DICOM included). */
export async function channelsOf(path: string): Promise<1 | 3> {
  if (isDicom(path)) return readDicomHeader(path).channels;
  const meta = await checkedMetadata(path);
  return meta.channels && meta.channels >= 3 && meta.space !== 'b-w' ? 3 : 1;
}
