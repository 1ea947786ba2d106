// A DICOM series (a folder of slices) as one volume in modality units (HU for CT), slices ordered along the
// slice normal by ImagePositionPatient.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TtlError } from '../../errors.js';
import { stackOrder } from './geometry.js';
import { readDicomSlice, type DicomSlice } from './slice.js';

export interface DicomVolume {
  /** [columns (x), rows (y), slices (z)], x fastest, like NIfTI. */
  shape: [number, number, number];
  /** mm between columns, rows and slices. */
  spacing: [number, number, number];
  values: Float32Array;
}

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
  const { order, spacing: sliceSpacing } = stackOrder(slices.map((s) => s.position!), first.orientation, dir);
  const ordered = order.map((i) => slices[i]);
  const plane = first.rows * first.columns;
  const values = new Float32Array(plane * ordered.length);
  ordered.forEach((s, z) => values.set(s.values, z * plane));
  const [rowSpacing, columnSpacing] = first.pixelSpacing?.length === 2 ? first.pixelSpacing : [1, 1];
  return { shape: [first.columns, first.rows, ordered.length], spacing: [columnSpacing, rowSpacing, sliceSpacing], values };
}
