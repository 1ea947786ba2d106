// Datasets from an image folder (one sub-folder per class) or a CSV manifest (file,label[,split][,patient], or
// multi-label: file,labels with separated findings, or one 0/1 column per label); manifest rows may name volumes
// (NIfTI files or DICOM-series folders) instead of images.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve } from 'node:path';
import { TtlError, type ErrorCode } from '../errors.js';
import { parseCsv } from './csv.js';
import type { ImageDataset, ImageSplit } from './dataset.js';
import { channelsOf, decodeImage, isHighDepth } from './decode.js';
import { checkSingleLabelColumn, findingStrata, multiHot, rowFindings, type FindingColumns, type FindingsOptions } from './findings.js';
import { stratifiedSplit, type SplitFractions, type SplitName } from './split.js';
import { decodeVolume, isVolumePath, type Intensity, type VolumeDecoding } from './volume.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.tif', '.tiff', '.bmp', '.webp', '.dcm', '.dicom']);

export interface ManifestEntry {
  file: string;
  /** The class (single-label); '' for a multi-label entry. */
  label: string;
  /** Multi-label entries: the findings (labels) the image has, possibly none. */
  findings?: string[];
  split?: SplitName;
  patient?: string;
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
  concurrency?: number;
  onWarning?: (message: string) => void;
  /** CSV manifests: accept paths outside the CSV's folder (absolute, or climbing with ..); refused by default. */
  allowOutsidePaths?: boolean;
}

export interface DatasetLoadReport {
  skipped: { origin: string; reason: string }[];
}

const SPLIT_NAMES: Record<string, SplitName> = { train: 'train', val: 'val', valid: 'val', validation: 'val', test: 'test' };

/** Entries of a folder whose sub-folders are the classes. */
export function folderEntries(root: string): ManifestEntry[] {
  const classes = readdirSync(root).filter((d) => statSync(join(root, d)).isDirectory()).sort();
  if (classes.length < 2) throw new TtlError('E_BAD_INPUT', `${root}: expected one sub-folder per class, found ${classes.length}`);
  return classes.flatMap((label) =>
    readdirSync(join(root, label))
      .filter((f) => IMAGE_EXTENSIONS.has(extname(f).toLowerCase()) || /\.nii(\.gz)?$/i.test(f))
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

async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }));
  return out;
}

/** Decodes entries once into compact per-split arrays. */
export async function loadEntries(name: string, entries: ManifestEntry[], options: LoadImagesOptions = {}): Promise<{ dataset: ImageDataset; report: DatasetLoadReport }> {
  const size = options.size ?? 64;
  const skipped: DatasetLoadReport['skipped'] = [];
  // The caller states the code: an unknown label is bad input, an undecodable file a bad image.
  const bad = (entry: ManifestEntry, reason: string, code: ErrorCode = 'E_BAD_IMAGE') => {
    if (!options.skipBad) throw new TtlError(code, `${entry.origin}: ${reason}`);
    skipped.push({ origin: entry.origin, reason });
    options.onWarning?.(`skipped ${entry.origin}: ${reason}`);
  };
  const multiLabel = entries.some((e) => e.findings);
  const classes = options.classes ?? [...new Set(entries.flatMap((e) => e.findings ?? [e.label]))].sort();
  let usable = entries.filter((e) => {
    const problem = multiLabel ? findingsProblem(e.findings!, classes, options.findings?.allowEmpty ?? true)
      : classes.includes(e.label) ? undefined : `label '${e.label}' is not one of the classes ${classes.join(', ')}`;
    if (problem) bad(e, problem, 'E_BAD_INPUT');
    return !problem;
  });
  if (!usable.length) throw new TtlError('E_BAD_INPUT', `${name}: no usable images`);
  const volumes = isVolumePath(usable[0].file);
  const mixed = usable.find((e) => isVolumePath(e.file) !== volumes);
  if (mixed) throw new TtlError('E_BAD_INPUT', `${mixed.origin}: mixes volumes and 2D images in one dataset`);
  const volumeShape = options.volumeShape ?? [size, size, size];
  const decoding: VolumeDecoding = { intensity: options.intensity ?? 'minmax', ...(options.spacing ? { spacing: options.spacing } : {}) };
  // The first image decides the colour; one that cannot be read is named by its manifest row.
  const channels = volumes || options.color === 'gray' ? 1 : options.color === 'rgb' ? 3
    : await channelsOf(usable[0].file).catch((err: TtlError) => {
      throw new TtlError(err.code ?? 'E_BAD_IMAGE', `${usable[0].origin}: ${err.message}`, { cause: err });
    });
  const depths = volumes ? usable.map(() => true) : await mapLimit(usable, options.concurrency ?? 4, (e) => isHighDepth(e.file).catch((err: Error) => (bad(e, err.message.replace(`${e.file}: `, '')), null)));
  usable = usable.filter((_, i) => depths[i] !== null);
  const sixteenBit = depths.some((d) => d === true);
  const decode = async (e: ManifestEntry) => volumes
    ? { data: decodeVolume(e.file, volumeShape, decoding, e.origin), channels: 1 as const }
    : decodeImage(e.file, size, channels, sixteenBit);
  const decoded = await mapLimit(usable, options.concurrency ?? 4, (e) =>
    decode(e).catch((err: Error) => (bad(e, err.message.replace(`${e.file}: `, '')), null)),
  );
  const kept = usable.filter((_, i) => decoded[i] !== null);
  const images = decoded.filter((d) => d !== null);
  const targets = multiLabel ? multiHot(kept.map((e) => e.findings!), classes) : undefined;
  // A multi-label set is stratified by each image's rarest finding; its splits' class labels are all 0.
  const labels = targets ? findingStrata(targets, classes.length) : kept.map((e) => classes.indexOf(e.label));
  const given = kept.every((e) => e.split);
  if (given) checkPatients(kept);
  const splits = given ? kept.map((e) => e.split!) : stratifiedSplit(labels, kept.map((e) => e.patient), options.fractions ?? { val: 0.1, test: 0.2 }, options.seed ?? 0);
  const itemShape = volumes ? [volumeShape[2], volumeShape[1], volumeShape[0]] : channels === 3 ? [size, size, 3] : [size, size];
  const perImage = itemShape.reduce((a, b) => a * b, 1);
  const build = (split: SplitName): ImageSplit => {
    const index = splits.map((s, i) => (s === split ? i : -1)).filter((i) => i >= 0);
    const data = sixteenBit ? new Uint16Array(index.length * perImage) : new Uint8Array(index.length * perImage);
    index.forEach((i, j) => data.set(images[i].data as never, j * perImage));
    if (!targets) return { images: data, shape: [index.length, ...itemShape], labels: Int32Array.from(index, (i) => labels[i]) };
    const rows = new Uint8Array(index.length * classes.length);
    index.forEach((i, j) => rows.set(targets.subarray(i * classes.length, (i + 1) * classes.length), j * classes.length));
    return { images: data, shape: [index.length, ...itemShape], labels: new Int32Array(index.length), targets: rows };
  };
  const kind = volumes ? 'volume' : channels === 3 ? 'rgb' : 'gray';
  const dataset: ImageDataset = { name, classes, kind, train: build('train'), val: build('val'), test: build('test'), ...(volumes ? { volume: decoding } : {}) };
  return { dataset, report: { skipped } };
}

/** Why a multi-label entry cannot be used: a finding that is not one of the labels, or no finding where none is refused. */
function findingsProblem(findings: string[], labels: string[], allowEmpty: boolean): string | undefined {
  const unknown = findings.filter((f) => !labels.includes(f));
  if (unknown.length) return `finding${unknown.length > 1 ? 's' : ''} ${unknown.map((f) => `'${f}'`).join(', ')} not among the labels ${labels.join(', ')}`;
  if (!findings.length && !allowEmpty) return 'has no finding, and this dataset requires at least one per image (findings.allowEmpty is false)';
  return undefined;
}

/** With given splits, a patient must not appear in two of them (leakage). */
function checkPatients(entries: ManifestEntry[]): void {
  const seen = new Map<string, ManifestEntry>();
  for (const e of entries) {
    if (!e.patient) continue;
    const first = seen.get(e.patient);
    if (first && first.split !== e.split)
      throw new TtlError('E_BAD_INPUT', `patient ${e.patient} is in both ${first.split} (${first.origin}) and ${e.split} (${e.origin}): splits must not share patients`);
    if (!first) seen.set(e.patient, e);
  }
}
