// A CSV manifest of real NIfTI volumes (../shared/data/nifti-samples) and one DICOM series written here, for the
// tests that train on volumes read from files.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dicomBytes } from './dicom-writer.js';
import { shared } from './helpers.js';

export const niftiSample = (f: string) => join(shared, 'data', 'nifti-samples', f);

/** Writes `root/series` (4 slices of 8 x 8 HU -1000..1000, out of order) and `root/volumes.csv`; returns the CSV path. */
export function writeVolumeManifest(root: string): { csv: string; series: string } {
  const series = join(root, 'series');
  mkdirSync(series);
  [2, 0, 3, 1].forEach((z) => writeFileSync(join(series, `s${z}.dcm`), dicomBytes({
    rows: 8, columns: 8, pixels: Int16Array.from({ length: 64 }, (_, i) => -1000 + z * 500 + i), slope: 1, intercept: 0,
    position: [0, 0, 2.5 * z], orientation: [1, 0, 0, 0, 1, 0], pixelSpacing: [1, 1],
  })));
  const rows = [
    ['example_ct.nii.gz', 'ct', 'train'], ['example_mr_sm.nii.gz', 'mr', 'train'], ['aorta_ct_cropped.nii.gz', 'ct', 'val'],
    ['example_mr_sm.nii.gz', 'mr', 'val'], ['example_ct_sm.nii.gz', 'ct', 'test'], [series, 'mr', 'test'],
  ].map(([f, label, split]) => `${f.startsWith('/') ? f : niftiSample(f)},${label},${split}`);
  const csv = join(root, 'volumes.csv');
  writeFileSync(csv, ['file,label,split', ...rows].join('\n'));
  return { csv, series };
}
