// One DICOM file (a path, or its bytes) to an image in [0, 1]: gray through the Modality LUT and a window policy,
// colour as RGB, palette colour looked up, every frame or a chosen one.
import { readPalette, colourToRgb, paletteToRgb } from './colour.js';
import { modalityTransform } from './modality.js';
import { dicomError, loadDicom, parseDicomBytes, type ParsedDicom } from './parse.js';
import { describePixels, type PixelDescription } from './description.js';
import { storedFrame } from './pixel-data.js';
import type { Codec } from './transfer-syntax.js';
import { applyWindow, checkWindowPolicy, type AppliedWindow, type WindowPolicy } from './voi.js';

/** A grayscale image in [0, 1]. */
export interface GrayImage {
  width: number;
  height: number;
  /** Intensities in [0, 1], row-major. */
  pixels: Float32Array;
}

/** A DICOM image in [0, 1]: gray (1 channel) or colour (3, RGB), one frame or several. */
export interface DicomImage extends GrayImage {
  frames: number;
  channels: 1 | 3;
  /** frames x height x width x channels, in [0, 1]; MONOCHROME1 inverted, colour as RGB, palette looked up. */
  pixels: Float32Array;
  photometric: string;
  transferSyntax: string;
  /** Gray images: the window each frame was shown with (see WindowPolicy). */
  windows?: AppliedWindow[];
}

export interface ReadDicomOptions {
  /** What messages call bytes given instead of a path (default '<DICOM bytes>'). */
  name?: string;
  /** Gray images: how modality values become [0, 1]; default 'auto'. */
  window?: WindowPolicy;
  /** Which frame (0-based) of a multi-frame object, or 'all' (the default). */
  frame?: number | 'all';
}

/** Pixel Padding Value (and Range Limit) as a mask over stored values; undefined when the file has none. */
function paddingMask(dicom: ParsedDicom, d: PixelDescription, stored: Int32Array): Uint8Array | undefined {
  const read = (tag: string) => (!dicom.data.elements[tag] ? undefined : d.signed ? dicom.data.int16(tag) : dicom.data.uint16(tag));
  const value = read('x00280120');
  if (value === undefined) return undefined;
  const limit = read('x00280121') ?? value;
  const [lo, hi] = [Math.min(value, limit), Math.max(value, limit)];
  const mask = new Uint8Array(stored.length);
  for (let i = 0; i < stored.length; i++) mask[i] = stored[i] >= lo && stored[i] <= hi ? 1 : 0;
  return mask;
}

/**
 * The colour space a frame is in once decoded: JPEG decoders turn YBR_FULL(_422) into RGB themselves, JPEG 2000
 * decoders undo YBR_ICT/YBR_RCT (the codestream's component transform); JPEG-LS, RLE and native YBR stay YBR and
 * are converted here.
 */
function photometricAfterDecoding(codec: Codec | undefined, photometric: string): string {
  if ((codec === 'jpeg-baseline' || codec === 'jpeg-extended') && (photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422')) return 'RGB';
  if ((codec === 'jpeg2000' || codec === 'htj2k') && (photometric === 'YBR_ICT' || photometric === 'YBR_RCT')) return 'RGB';
  return photometric;
}

function framesOf(d: PixelDescription, frame: ReadDicomOptions['frame'], path: string): number[] {
  if (frame === undefined || frame === 'all') return Array.from({ length: d.frames }, (_, i) => i);
  if (!Number.isInteger(frame) || frame < 0 || frame >= d.frames) throw dicomError(path, `frame ${frame} was asked for; the file has ${d.frames} (0 to ${d.frames - 1})`);
  return [frame];
}

function decode(dicom: ParsedDicom, options: ReadDicomOptions): DicomImage {
  const policy = checkWindowPolicy(options.window ?? 'auto');
  const d = describePixels(dicom);
  const chosen = framesOf(d, options.frame, dicom.path);
  const gray = d.photometric === 'MONOCHROME1' || d.photometric === 'MONOCHROME2';
  const channels = gray ? 1 : 3;
  const plane = d.rows * d.columns * channels;
  const pixels = new Float32Array(plane * chosen.length);
  const windows: AppliedWindow[] = [];
  const decodedAs = photometricAfterDecoding(dicom.syntax.codec, d.photometric);
  const palette = d.photometric === 'PALETTE COLOR' ? readPalette(dicom.data, dicom.path, d.signed) : undefined;
  chosen.forEach((index, k) => {
    const stored = storedFrame(dicom, d, index);
    if (gray) {
      const shown = applyWindow(dicom, modalityTransform(dicom, d, index)(stored), paddingMask(dicom, d, stored), policy, d.photometric === 'MONOCHROME1');
      pixels.set(shown.pixels, k * plane);
      windows.push(shown.window);
    } else pixels.set(palette ? paletteToRgb(stored, palette) : colourToRgb(stored, decodedAs, d), k * plane);
  });
  return {
    width: d.columns, height: d.rows, frames: chosen.length, channels, pixels, photometric: d.photometric,
    transferSyntax: dicom.syntaxUid, ...(gray ? { windows } : {}),
  };
}

/**
 * One DICOM file (a path, or its bytes) as an image in [0, 1]: every transfer syntax of TRANSFER_SYNTAXES, gray
 * through the Modality LUT and the window policy, colour as RGB, every frame unless `frame` names one.
 */
export function readDicom(source: string | Uint8Array, options: ReadDicomOptions = {}): DicomImage {
  return decode(typeof source === 'string' ? loadDicom(source) : parseDicomBytes(source, options.name ?? '<DICOM bytes>'), options);
}

/** What a file holds without decoding its pixels: frames and channels (colour and palette images have 3). */
export function readDicomHeader(source: string | Uint8Array): { width: number; height: number; frames: number; channels: 1 | 3; photometric: string } {
  const d = describePixels(loadDicom(source));
  const gray = d.photometric === 'MONOCHROME1' || d.photometric === 'MONOCHROME2';
  return { width: d.columns, height: d.rows, frames: d.frames, channels: gray ? 1 : 3, photometric: d.photometric };
}
