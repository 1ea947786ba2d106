// One entry point for every dataset source: MedMNIST .npz, a class-per-folder directory, a CSV manifest.
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TtlError } from '../errors.js';
import { classCounts, type ImageDataset, type MemorySplit } from './dataset.js';
import { csvEntries, folderEntries, type LoadImagesOptions, type DatasetLoadReport, type ManifestEntry } from './manifest.js';
import { loadThroughCache } from './cached-load.js';
import { decodeToMemory, planEntries } from './load-entries.js';
import { readMedMNISTAsync } from './medmnist.js';
import { checkDicomDecoding } from './decode.js';
import { defaultCacheDir } from '../weights/resolve.js';

/**
 * Loads a dataset once into compact arrays: a MedMNIST .npz, a folder of class folders, or a CSV manifest;
 * the report lists skipped files (with skipBad). With `cache`, folder and CSV splits are mapped from the
 * decoded-image cache instead (their images MappedImages).
 */
export async function loadDataset(source: string, options?: LoadImagesOptions & { cache?: false }): Promise<{ dataset: ImageDataset<MemorySplit>; report: DatasetLoadReport }>;
export async function loadDataset(source: string, options?: LoadImagesOptions): Promise<{ dataset: ImageDataset; report: DatasetLoadReport }>;
export async function loadDataset(source: string, options: LoadImagesOptions = {}): Promise<{ dataset: ImageDataset; report: DatasetLoadReport }> {
  checkDicomDecoding(options.dicom);
  let stat;
  try {
    stat = statSync(source);
  } catch {
    throw new TtlError('E_NO_FILE', `dataset not found: ${source} (expected a MedMNIST .npz, a folder of class folders, or a CSV manifest)`);
  }
  if (stat.isDirectory()) return loadEntries(basename(source), folderEntries(source), options, source);
  if (source.endsWith('.npz')) return { dataset: await readMedMNISTAsync(source), report: { skipped: [] } };
  if (source.endsWith('.csv')) return loadEntries(basename(source, '.csv'), csvEntries(source, options.columns, options.allowOutsidePaths, options.findings), options, source);
  throw new TtlError('E_BAD_INPUT', `${source}: unknown dataset format (expected .npz, .csv or a folder)`);
}

/**
 * Decodes entries once into per-split arrays, or with `options.cache` through the decoded-image cache (mapped
 * from it when it holds them, decoded into it when not). `source` (the folder or CSV) names the cache files; by
 * default the first entry's folder.
 */
export async function loadEntries(name: string, entries: ManifestEntry[], options: LoadImagesOptions = {}, source?: string): Promise<{ dataset: ImageDataset; report: DatasetLoadReport }> {
  if (!options.cache || !entries.length) return decodeToMemory(await planEntries(name, entries, options), options);
  const cache = options.cache === true ? join(defaultCacheDir(), 'decoded') : options.cache;
  return loadThroughCache(name, source ?? dirname(entries[0].file), entries, { ...options, cache });
}

/** "train 4708 (1214/3494), val 524 (135/389), test 624 (234/390)" with per-class counts. */
export function describeDataset(data: ImageDataset): string {
  const parts = (['train', 'val', 'test'] as const).map((s) => `${s} ${data[s].labels.length} (${classCounts(data[s], data.classes.length).join('/')})`);
  return `${data.name}: ${data.classes.length} classes [${data.classes.join(', ')}], ${parts.join(', ')}`;
}
