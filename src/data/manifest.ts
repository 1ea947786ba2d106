// Datasets from an image folder (one sub-folder per class) or a CSV manifest (file,label[,split][,patient], or
// multi-label: file,labels with separated findings, or one 0/1 column per label); manifest rows may name volumes
// (NIfTI files or DICOM-series folders) instead of images.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { TtlError } from '../errors.js';
import { parseCsv } from './csv.js';
import { checkSingleLabelColumn, rowFindings, type FindingColumns, type FindingsOptions } from './findings.js';
import type { SplitFractions, SplitName } from './split.js';
import type { Intensity } from './volume.js';
import { isDicom, type DicomDecoding } from './decode.js';
import { VOLUME_FILE } from './volumes/index.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp', '.dcm', '.dicom']);

export interface ManifestEntry {
  file: string;
  /** The class (single-label); '' for a multi-label entry. */
  label: string;
  /** Multi-label entries: the findings (labels) the image has, possibly none. */
  findings?: string[];
  split?: SplitName;
  patient?: string;
  /** A multi-frame DICOM's frame, when the 'all' frame policy made one entry per frame. */
  frame?: number;
  /** Where the entry came from, for messages (e.g. "labels.csv line 7"). */
  origin: string;
}

export interface LoadImagesOptions {
  /** Decoded image size (square); the native pipeline resizes again to the model's input. */
  size?: number;
  /** 'auto' (from the first image), 'gray' or 'rgb'. */
  color?: 'auto' | 'gray' | 'rgb';
  /** Fractions for a seeded stratified split when the source gives none. */
  fractions?: SplitFractions;
  seed?: number;
  /** Skip undecodable files and unknown labels with a counted warning instead of failing. */
  skipBad?: boolean;
  /** Class names in label order (default: sorted names found); multi-label: the labels (a finding not listed is refused). */
  classes?: string[];
  /**
   * CSV column names. Multi-label manifests name `labels`, a column of separated findings (NIH's 'Finding Labels';
   * a manifest without a `label` column but with a `labels` column is read so by default), or `labelColumns`, one
   * 0/1 column per label (the column names are the labels).
   */
  columns?: { file?: string; label?: string; split?: string; patient?: string } & FindingColumns;
  /** Multi-label manifests: the findings' separator, the "no finding" value and whether it is allowed. */
  findings?: FindingsOptions;
  /** Volume rows (NIfTI / DICOM-series folders): [x, y, z] voxels each is brought to (default size^3). */
  volumeShape?: [number, number, number];
  /** Volume rows: resample to this spacing (mm), then centre crop / pad to volumeShape. */
  spacing?: [number, number, number];
  /** Volume rows: intensity window, e.g. [-1000, 400] HU or 'lung' (default 'minmax' per volume). */
  intensity?: Intensity;
  /**
   * DICOM images: the window policy (default 'auto': the stored window unless it clamps most of the image, else
   * the image's range) and, for multi-frame objects, which frame a 2D network sees ('middle' or a 0-based number;
   * without one such a file is refused, never cut to its first frame in silence).
   */
  dicom?: DicomDecoding;
  /** Files decoded at once (default: the cores this process may use, at least 4). */
  concurrency?: number;
  onWarning?: (message: string) => void;
  /**
   * Folder and CSV datasets: decode through the decoded-image cache, in this folder or (true) the default one,
   * $TTL_TORCH_CACHE/decoded, else ~/.cache/ttl-torch/decoded. The first load decodes each split into a file
   * there; later loads (runs, resumes, workers) map it instead of decoding, and the splits' `images` are then
   * MappedImages (read rows with imageRows). Default false: decoded into memory arrays at every load.
   * `ttl-torch run` uses the cache unless told not to (--data-cache off).
   */
  cache?: string | boolean;
  /** While decoding: files done of total, the rate and the time left (about once a second, and at the end). */
  onProgress?: (progress: DecodeProgress) => void;
  /** CSV manifests: accept paths outside the CSV's folder (absolute, or climbing with ..); refused by default. */
  allowOutsidePaths?: boolean;
}

export interface DatasetLoadReport {
  skipped: { origin: string; reason: string }[];
  /** Where the splits came from: decoded now ('decoded'), or mapped from the decoded-image cache ('cache'). */
  source?: 'decoded' | 'cache';
  /** The cache files (train, val, test) when the cache was used. */
  cacheFiles?: string[];
  /** Folder and CSV data: seconds the images took to decode, in this load or when its cache was built. */
  decodeSeconds?: number;
}

export interface DecodeProgress {
  done: number;
  total: number;
  imagesPerSecond: number;
  etaSeconds: number;
}

const SPLIT_NAMES: Record<string, SplitName> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };

/** Entries of a folder whose sub-folders are the classes. */
export function folderEntries(root: string): ManifestEntry[] {
  const classes = readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory()).sort();
  if (classes.length < 2) throw new TtlError('E_BAD_INPUT', `${root}: expected one sub-folder per class, found ${classes.length}`);
  return classes.flatMap((label) =>
    readdirSync(join(root, label))
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()) || VOLUME_FILE.test(f) || isDicom(join(root, label, f)))
      .sort()
      .map((f) => ({ file: join(root, label, f), label, origin: join(label, f) })),
  );
}

export interface ManifestRow {
  row: Record<string, string>;
  split?: SplitName;
  patient?: string;
  origin: string;
  /** Resolves a path cell against the manifest's folder. */
  path: (column: string) => string;
}

/**
 * Rows of a CSV manifest with their split and patient read and checked; `required` columns must exist.
 * A path cell that leaves the CSV's folder (`../../etc/passwd`, `/data/x.png`) is refused unless
 * `allowOutsidePaths`: a manifest from elsewhere must not make the loader read arbitrary files.
 */
export function manifestRows(
  path: string, required: string[] | ((header: string[]) => string[]), columns: { split?: string; patient?: string } = {}, allowOutsidePaths = false,
): ManifestRow[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TtlError('E_NO_FILE', `cannot read manifest ${path}: ${(e as Error).message}`);
  }
  const { header, rows } = parseCsv(text, path);
  const split = columns.split ?? 'split', patient = columns.patient ?? 'patient';
  const needed = typeof required === 'function' ? required(header) : required;
  for (const column of needed)
    if (!header.includes(column)) throw new TtlError('E_BAD_INPUT', `${path}: no '${column}' column (columns: ${header.join(', ')})`);
  if (!rows.length) throw new TtlError('E_BAD_INPUT', `${path}: a header and no rows (one row per image, ${needed.join(', ')})`);
  const base = dirname(resolve(path));
  return rows.map((row, i) => {
    const origin = `${basename(path)} line ${i + 2}`;
    const rawSplit = header.includes(split) ? row[split].toLowerCase() : '';
    if (rawSplit && !SPLIT_NAMES[rawSplit])
      throw new TtlError('E_BAD_INPUT', `${origin}: split '${row[split]}' is not train, val or test`);
    return {
      row, origin, split: rawSplit ? SPLIT_NAMES[rawSplit] : undefined,
      patient: header.includes(patient) && row[patient] ? row[patient] : undefined,
      path: (column: string) => {
        const file = resolve(base, row[column]);
        const inside = relative(base, file);
        if (!allowOutsidePaths && (inside.startsWith('..') || isAbsolute(inside)))
          throw new TtlError('E_BAD_INPUT', `${origin}: ${column} '${row[column]}' is outside the manifest's folder ${base}; ` +
            'use allowOutsidePaths (--allow-outside-paths) to read files outside it');
        return file;
      },
    };
  });
}

/**
 * Where a manifest's truth is: a single-label column, or (multi-label) a findings column or 0/1 label columns. A
 * manifest with a `labels` column and no `label` column is multi-label unless the caller named a label column.
 */
function labelColumnsOf(header: string[], columns: NonNullable<LoadImagesOptions['columns']>): { label: string } | FindingColumns {
  if (columns.labelColumns) return { labelColumns: columns.labelColumns };
  if (columns.labels) return { labels: columns.labels };
  if (!columns.label && !header.includes('label') && header.includes('labels')) return { labels: 'labels' };
  return { label: columns.label ?? 'label' };
}

/** Entries of a CSV manifest; paths are relative to the CSV's folder. */
export function csvEntries(path: string, columns: LoadImagesOptions['columns'] = {}, allowOutsidePaths = false, findings: FindingsOptions = {}): ManifestEntry[] {
  const file = columns.file ?? 'file';
  let truth!: { label: string } | FindingColumns;  // read from the header, in manifestRows
  const rows = manifestRows(path, (header) => {
    truth = labelColumnsOf(header, columns);
    return [file, ...('label' in truth ? [truth.label] : truth.labelColumns ?? [truth.labels!])];
  }, columns, allowOutsidePaths);
  const entry = (r: ManifestRow) => ({ file: r.path(file), split: r.split, patient: r.patient, origin: r.origin });
  if ('label' in truth) {
    const label = truth.label;
    checkSingleLabelColumn(rows.map((r) => ({ label: r.row[label], origin: r.origin })), label, findings.separator);
    return rows.map((r) => ({ ...entry(r), label: r.row[label] }));
  }
  const where = truth;
  return rows.map((r) => ({ ...entry(r), label: '', findings: rowFindings(r.row, r.origin, where, findings) }));
}

