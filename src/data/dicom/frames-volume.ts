// A multi-frame gray DICOM file (enhanced CT/MR, multi-frame secondary capture, a cine stack) as one volume in
// modality units: each frame a slice, ordered along the slice normal when the frames say where they lie
// (Plane Position functional groups), else in stored order, with the spacing the file gives.
import { decimals, stackOrder } from './geometry.js';
import { frameMacro, MACRO } from './functional-groups.js';
import { modalityTransform } from './modality.js';
import { dicomError, loadDicom } from './parse.js';
import { describePixels } from './description.js';
import { storedFrame } from './pixel-data.js';
import type { DicomVolume } from './series.js';

/** The frames of one gray DICOM file as a volume, [columns, rows, frames], x fastest. */
export function readDicomFramesVolume(path: string): DicomVolume {
  const dicom = loadDicom(path);
  const d = describePixels(dicom);
  if (d.samples !== 1 || d.photometric === 'PALETTE COLOR') throw dicomError(path, `(0028,0004) PhotometricInterpretation is ${d.photometric}: a volume must be gray`);
  if (d.frames < 2) throw dicomError(path, `(0028,0008) NumberOfFrames is ${d.frames}: a volume from one file needs at least 2 frames (a series of single-frame files is a folder)`);
  const { data } = dicom;
  // A frame's attribute: its functional group, else the top level.
  const attribute = (frame: number, macro: string, tag: string) => decimals((frameMacro(data, frame, macro) ?? data).string(tag) ?? data.string(tag));
  const positions = Array.from({ length: d.frames }, (_, k) => frameMacro(data, k, MACRO.planePosition)?.string('x00200032')).map(decimals);
  const placed = positions.every((p) => p?.length === 3);
  const stack = placed ? stackOrder(positions as number[][], attribute(0, MACRO.planeOrientation, 'x00200037'), path) : undefined;
  const order = stack?.order ?? positions.map((_, k) => k);
  const [rowSpacing, columnSpacing] = attribute(0, MACRO.pixelMeasures, 'x00280030') ?? [1, 1];
  // Without positions: the distance between slice centres, else the slice thickness, else 1 mm.
  const sliceSpacing = stack?.spacing ?? attribute(0, MACRO.pixelMeasures, 'x00180088')?.[0] ?? attribute(0, MACRO.pixelMeasures, 'x00180050')?.[0] ?? 1;
  const plane = d.rows * d.columns;
  const values = new Float32Array(plane * d.frames);
  order.forEach((k, z) => values.set(modalityTransform(dicom, d, k)(storedFrame(dicom, d, k)), z * plane));
  return { shape: [d.columns, d.rows, d.frames], spacing: [columnSpacing ?? 1, rowSpacing ?? 1, Math.abs(sliceSpacing) || 1], values };
}
