// One entry point for every dataset source: MedMNIST .npz, a class-per-folder directory, a CSV manifest.
import { statSync } from 'node:fs';
import { basename } from 'node:path';
import { TtlError } from '../errors.js';
import { classCounts, type ImageDataset } from './dataset.js';
import { csvEntries, folderEntries, loadEntries, type LoadImagesOptions, type DatasetLoadReport } from './manifest.js';
import { readMedMNISTAsync } from './medmnist.js';

/**
 * Loads a dataset once into compact arrays: a MedMNIST .npz, a folder of class folders, or a CSV manifest;
 * the report lists skipped files (with skipBad).
 */
export async function loadDataset(source: string, options: LoadImagesOptions = {}): Promise<{ dataset: ImageDataset; report: DatasetLoadReport }> {
  let stat;
  try {
    stat = statSync(source);
  } catch {
    throw new TtlError('E_NO_FILE', `dataset not found: ${source} (expected a MedMNIST .npz, a folder of class folders, or a CSV manifest)`);
  }
  if (stat.isDirectory()) return loadEntries(basename(source), folderEntries(source), options);
  if (source.endsWith('.npz')) return { dataset: await readMedMNISTAsync(source), report: { skipped: [] } };
  if (source.endsWith('.csv')) return loadEntries(basename(source, '.csv'), csvEntries(source, options.columns, options.allowOutsidePaths, options.findings), options);
  throw new TtlError('E_BAD_INPUT', `${source}: unknown dataset format (expected .npz, .csv or a folder)`);
}

/** "train 4708 (1214/3494), val 524 (135/389), test 624 (234/390)" with per-class counts. */
export function describeDataset(data: ImageDataset): string {
  const parts = (['train', 'val', 'test'] as const).map((s) => `${s} ${data[s].labels.length} (${classCounts(data[s], data.classes.length).join('/')})`);
  return `${data.name}: ${data.classes.length} classes [${data.classes.join(', ')}], ${parts.join(', ')}`;
}
