// Colour images to RGB in [0, 1] (PS3.3 C.7.6.3.1.2): RGB as stored, YBR_FULL by the JPEG/JFIF equations that
// the standard names, YBR_FULL_422 (native: two lumas share a chroma pair) upsampled first, and palette colour
// through its three tables.
import type dicomParser from 'dicom-parser';
import { lookUp, readLut, type Lut } from './lut.js';
import { dicomError } from './parse.js';
import type { PixelDescription } from './description.js';

/** YCbCr (full range, offset half the range) to RGB in [0, 1], in place over 3 samples a pixel. */
function ybrToRgb(values: Float32Array, max: number): void {
  const half = (max + 1) / 2;
  for (let i = 0; i < values.length; i += 3) {
    const y = values[i], cb = values[i + 1] - half, cr = values[i + 2] - half;
    values[i] = Math.min(1, Math.max(0, (y + 1.402 * cr) / max));
    values[i + 1] = Math.min(1, Math.max(0, (y - 0.344136 * cb - 0.714136 * cr) / max));
    values[i + 2] = Math.min(1, Math.max(0, (y + 1.772 * cb) / max));
  }
}

/** A frame of 3-sample stored values, in the photometric interpretation the decoder left it in, as RGB in [0, 1]. */
export function colourToRgb(stored: Int32Array, photometric: string, d: PixelDescription): Float32Array {
  const max = 2 ** d.bitsStored - 1;
  const out = new Float32Array(stored);
  if (photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422') ybrToRgb(out, max);
  else for (let i = 0; i < out.length; i++) out[i] /= max;
  return out;
}

/**
 * Native YBR_FULL_422 holds Y1 Y2 Cb Cr for each pair of pixels in a row: the frame is 2 samples a pixel, not 3.
 * Returns the 3-sample frame, each chroma pair given to both pixels.
 */
export function upsample422(raw: ArrayLike<number>, d: PixelDescription): Uint16Array {
  const pixels = d.rows * d.columns;
  const out = new Uint16Array(pixels * 3);
  for (let p = 0, i = 0; p < pixels; p += 2, i += 4) {
    const [y1, y2, cb, cr] = [raw[i], raw[i + 1], raw[i + 2], raw[i + 3]];
    out.set([y1, cb, cr], 3 * p);
    if (p + 1 < pixels) out.set([y2, cb, cr], 3 * p + 3);
  }
  return out;
}

export interface Palette {
  red: Lut;
  green: Lut;
  blue: Lut;
}

/** The three palette colour tables; segmented palettes (a compressed form) are refused by name. */
export function readPalette(data: dicomParser.DataSet, path: string, signed: boolean): Palette {
  if (data.elements.x00281221 || data.elements.x00281222 || data.elements.x00281223)
    throw dicomError(path, '(0028,1221) SegmentedRedPaletteColorLookupTableData: segmented palettes are not supported; convert the file to RGB (e.g. gdcmconv --rgb)');
  const lut = (c: string, name: string) => readLut(data, `x0028110${c}`, `x0028120${c}`, path, `${name}PaletteColorLookupTable`, signed);
  return { red: lut('1', 'Red'), green: lut('2', 'Green'), blue: lut('3', 'Blue') };
}

/** Palette indices to RGB in [0, 1]. Some writers declare 16-bit entries that hold 8-bit values: scaled by what they hold. */
export function paletteToRgb(stored: Int32Array, palette: Palette): Float32Array {
  const out = new Float32Array(stored.length * 3);
  const tables = [palette.red, palette.green, palette.blue];
  const scale = tables.map((t) => {
    const declared = 2 ** t.bits - 1;
    return t.bits === 16 && t.entries.every((v) => v < 256) ? 255 : declared;
  });
  for (let i = 0; i < stored.length; i++) for (let c = 0; c < 3; c++) out[3 * i + c] = lookUp(tables[c], stored[i]) / scale[c];
  return out;
}
