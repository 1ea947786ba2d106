// A single-frame gray DICOM file as modality values with its geometry: what a series (series.ts) stacks.
import { firstNumber, modalityTransform } from './modality.js';
import { decimals } from './geometry.js';
import { dicomError, loadDicom } from './parse.js';
import { describePixels } from './description.js';
import { storedFrame } from './pixel-data.js';

/** One DICOM image in modality units (HU for CT) with the geometry needed to stack a series. */
export interface DicomSlice {
  rows: number;
  columns: number;
  /** Modality values (Modality LUT, or stored x RescaleSlope + RescaleIntercept), row-major. */
  values: Float32Array;
  window?: [number, number];
  monochrome1: boolean;
  position?: number[];
  orientation?: number[];
  pixelSpacing?: number[];
}

/** A single-frame gray DICOM file as modality values and geometry: a slice of a series. */
export function readDicomSlice(path: string): DicomSlice {
  const dicom = loadDicom(path);
  const d = describePixels(dicom);
  if (d.samples !== 1 || d.photometric === 'PALETTE COLOR') throw dicomError(path, `(0028,0004) PhotometricInterpretation is ${d.photometric}: a series slice must be gray`);
  if (d.frames !== 1) throw dicomError(path, `(0028,0008) NumberOfFrames is ${d.frames}: a series slice has one frame`);
  const center = firstNumber(dicom.data.string('x00281050'));
  const width = firstNumber(dicom.data.string('x00281051'));
  return {
    rows: d.rows, columns: d.columns, values: modalityTransform(dicom, d)(storedFrame(dicom, d, 0)), monochrome1: d.photometric === 'MONOCHROME1',
    window: center !== undefined && width !== undefined && width > 0 ? [center - width / 2, center + width / 2] : undefined,
    position: decimals(dicom.data.string('x00200032')), orientation: decimals(dicom.data.string('x00200037')), pixelSpacing: decimals(dicom.data.string('x00280030')),
  };
}
