// A DICOM series (a folder of slices) as one volume in modality units (HU for CT), slices ordered along the
// slice normal by ImagePositionPatient.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TtlError } from '../../errors.js';
import { readDicomSlice, type DicomSlice } from './slice.js';

export interface DicomVolume {
  /** [columns (x), rows (y), slices (z)], x fastest, like NIfTI. */
  shape: [number, number, number];
  /** mm between columns, rows and slices. */
  spacing: [number, number, number];
  values: Float32Array;
}

const cross = (a: number[], b: number[]) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: number[], b: number[]) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** A folder of DICOM slices as one volume, ordered along the slice normal, with its spacing. */
export function readDicomSeries(dir: string): DicomVolume {
  const files = readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()).sort();
  if (files.length < 2) throw new TtlError('E_BAD_INPUT', `${dir}: a DICOM series needs at least 2 slices, found ${files.length}`);
  const slices: (DicomSlice & { file: string })[] = files.map((f) => ({ ...readDicomSlice(join(dir, f)), file: f }));
  const first = slices[0];
  for (const s of slices) {
    if (s.rows !== first.rows || s.columns !== first.columns)
      throw new TtlError('E_BAD_INPUT', `${join(dir, s.file)}: ${s.rows}x${s.columns} slice in a ${first.rows}x${first.columns} series`);
    if (!s.position || s.position.length !== 3)
      throw new TtlError('E_BAD_INPUT', `${join(dir, s.file)}: no ImagePositionPatient, so the slice order is unknown`);
  }
  const orientation = first.orientation?.length === 6 ? first.orientation : [1, 0, 0, 0, 1, 0];
  const normal = cross(orientation.slice(0, 3), orientation.slice(3));
  const ordered = [...slices].sort((a, b) => dot(a.position!, normal) - dot(b.position!, normal));
  const steps = ordered.slice(1).map((s, i) => dot(s.position!, normal) - dot(ordered[i].position!, normal));
  if (steps.some((d) => Math.abs(d) < 1e-6)) throw new TtlError('E_BAD_INPUT', `${dir}: two slices share a position`);
  const plane = first.rows * first.columns;
  const values = new Float32Array(plane * ordered.length);
  ordered.forEach((s, z) => values.set(s.values, z * plane));
  const [rowSpacing, columnSpacing] = first.pixelSpacing?.length === 2 ? first.pixelSpacing : [1, 1];
  const sliceSpacing = steps.reduce((a, b) => a + b, 0) / steps.length;
  return { shape: [first.columns, first.rows, ordered.length], spacing: [columnSpacing, rowSpacing, sliceSpacing], values };
}
