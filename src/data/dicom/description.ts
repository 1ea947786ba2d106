// The Image Pixel module's description of the pixels (PS3.3 C.7.6.3), checked: what every later step (frames,
// codecs, colour) reads instead of the tags.
import { MAX_DICOM_SAMPLES, MAX_PIXELS } from '../limits.js';
import { dicomError, type ParsedDicom } from './parse.js';

export interface PixelDescription {
  rows: number;
  columns: number;
  frames: number;
  /** SamplesPerPixel: 1 (gray or palette) or 3 (colour). */
  samples: 1 | 3;
  bitsAllocated: 8 | 16;
  bitsStored: number;
  highBit: number;
  /** PixelRepresentation 1: two's complement. */
  signed: boolean;
  /** PlanarConfiguration 1: all of one sample, then the next (colour only). */
  planar: boolean;
  photometric: string;
}

export const TAG = {
  samples: '(0028,0002) SamplesPerPixel', photometric: '(0028,0004) PhotometricInterpretation', frames: '(0028,0008) NumberOfFrames',
  rows: '(0028,0010) Rows', columns: '(0028,0011) Columns', bitsAllocated: '(0028,0100) BitsAllocated', bitsStored: '(0028,0101) BitsStored',
  highBit: '(0028,0102) HighBit', pixelData: '(7FE0,0010) PixelData',
};

export function describePixels(dicom: ParsedDicom): PixelDescription {
  const { data, path } = dicom;
  const fail = (what: string) => dicomError(path, what);
  const pixel = data.elements.x7fe00010;
  if (!pixel) {
    const sop = data.string('x00080016');
    throw fail(`no ${TAG.pixelData}: not an image${sop ? ` (SOPClassUID ${sop})` : ''}`);
  }
  const rows = data.uint16('x00280010');
  const columns = data.uint16('x00280011');
  if (!rows || !columns) throw fail(`${!rows ? TAG.rows : TAG.columns} is missing or 0`);
  const bitsAllocated = data.uint16('x00280100');
  if (bitsAllocated === 1) throw fail(`${TAG.bitsAllocated} is 1: a bitmap (a segmentation or overlay object), not an image to classify`);
  if (bitsAllocated === 32 || bitsAllocated === 64)
    throw fail(`${TAG.bitsAllocated} is ${bitsAllocated}: ${data.elements.x30040002 || /RTDOSE/.test(data.string('x00080060') ?? '') ? 'an RT dose grid' : 'a parametric map or float image'}, not an image to classify`);
  if (bitsAllocated !== 8 && bitsAllocated !== 16) throw fail(`${TAG.bitsAllocated} is ${bitsAllocated ?? 'missing'}: expected 8 or 16`);
  const bitsStored = data.uint16('x00280101') ?? bitsAllocated;
  const highBit = data.uint16('x00280102') ?? bitsStored - 1;
  if (bitsStored < 1 || bitsStored > bitsAllocated) throw fail(`${TAG.bitsStored} is ${bitsStored}: expected 1 to ${TAG.bitsAllocated} (${bitsAllocated})`);
  if (highBit < bitsStored - 1 || highBit >= bitsAllocated) throw fail(`${TAG.highBit} is ${highBit}: expected ${bitsStored - 1} to ${bitsAllocated - 1} for ${bitsStored} bits stored`);
  const samples = data.uint16('x00280002') ?? 1;
  if (samples !== 1 && samples !== 3) throw fail(`${TAG.samples} is ${samples}: expected 1 (gray) or 3 (colour)`);
  const photometric = (data.string('x00280004') ?? (samples === 3 ? 'RGB' : 'MONOCHROME2')).trim().toUpperCase();
  const framesText = data.string('x00280008');
  const frames = framesText === undefined || framesText.trim() === '' ? 1 : Number(framesText);
  if (!Number.isInteger(frames) || frames < 1) throw fail(`${TAG.frames} is '${framesText}': expected a whole number >= 1`);
  const expected = samples === 3 ? ['RGB', 'YBR_FULL', 'YBR_FULL_422', 'YBR_RCT', 'YBR_ICT', 'YBR_PARTIAL_420'] : ['MONOCHROME1', 'MONOCHROME2', 'PALETTE COLOR'];
  if (!expected.includes(photometric)) throw fail(`${TAG.photometric} is '${photometric}' with ${samples} sample(s) per pixel: expected one of ${expected.join(', ')}`);
  if (rows * columns > MAX_PIXELS)
    throw fail(`${TAG.rows} x ${TAG.columns} is ${rows} x ${columns} (${((rows * columns) / 1e6).toFixed(0)} Mpx), over the ${MAX_PIXELS / 2 ** 20} Mpx limit of one image`);
  if (rows * columns * samples * frames > MAX_DICOM_SAMPLES)
    throw fail(`${TAG.frames} is ${frames}: ${frames} frame(s) of ${rows} x ${columns} x ${samples} are ${((rows * columns * samples * frames) / 1e6).toFixed(0)} M samples, over the ${MAX_DICOM_SAMPLES / 2 ** 20} M a file may decode to`);
  return {
    rows, columns, frames, samples, bitsAllocated, bitsStored, highBit,
    signed: data.uint16('x00280103') === 1, planar: samples === 3 && data.uint16('x00280006') === 1, photometric,
  };
}

/** Values per frame: rows x columns x samples. */
export const frameLength = (d: PixelDescription) => d.rows * d.columns * d.samples;

