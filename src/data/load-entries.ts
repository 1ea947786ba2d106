// From manifest entries to a dataset: check the labels, read each file's header (colour, depth), assign the
// splits, then decode every image once into its split's slot, in memory or in the decoded-image cache
// (data/cached-load.ts). The splits are assigned before decoding, so that a split can be written as it is
// decoded; a file that then fails to decode (with skipBad) leaves its split.
import { availableParallelism } from 'node:os';
import { TtlError, type ErrorCode } from '../errors.js';
import type { ImageDataset, ImageSplit } from './dataset.js';
import { channelsOf, decodeImage, isDicom, isHighDepth, type Decoded, type DicomDecoding } from './decode.js';
import { readDicomHeader } from './dicom/index.js';
import { findingStrata, multiHot } from './findings.js';
import type { DatasetLoadReport, LoadImagesOptions, ManifestEntry } from './manifest.js';
import { stratifiedSplit, type SplitName } from './split.js';
import { decodeVolume, isVolumePath, type VolumeDecoding } from './volume.js';

export const SPLITS: readonly SplitName[] = ['train', 'val', 'test'];

/** Everything known about a dataset before its images are decoded. */
export interface DecodePlan {
  name: string;
  classes: string[];
  kind: ImageDataset['kind'];
  /** [item...]: one image's array shape (H, W[, C]) or a volume's (D, H, W). */
  itemShape: number[];
  bits: 8 | 16;
  volume?: VolumeDecoding;
  dicom?: DicomDecoding;
  /** Per split, the entries in slot order, with their class labels and (multi-label) target rows. */
  splits: Record<SplitName, { entries: ManifestEntry[]; labels: Int32Array; targets?: Uint8Array }>;
  decode: (entry: ManifestEntry) => Promise<Decoded['data']>;
  skipped: DatasetLoadReport['skipped'];
  /** Records a file that cannot be used: throws, or with skipBad counts it and warns. */
  bad: (entry: ManifestEntry, reason: string, code?: ErrorCode) => void;
}

/** Where decoded images go: one slot per planned entry of a split, then the failed slots dropped. */
export interface SplitSink {
  put(split: SplitName, slot: number, data: Decoded['data']): Promise<void>;
}

export const decodeConcurrency = (options: LoadImagesOptions) => options.concurrency ?? Math.max(4, availableParallelism());

export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
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

/** Checks labels and headers and assigns splits: the work before decoding. */
export async function planEntries(name: string, entries: ManifestEntry[], options: LoadImagesOptions): Promise<DecodePlan> {
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
  // The 'volume' frame policy makes DICOM files volumes; 'all' makes each frame an entry.
  const isVolume = (file: string) => isVolumePath(file) || (options.dicom?.frame === 'volume' && isDicom(file));
  if (options.dicom?.frame === 'all') usable = usable.flatMap((e) => everyFrame(e, bad));
  if (!usable.length) throw new TtlError('E_BAD_INPUT', `${name}: no usable images`);
  const volumes = isVolume(usable[0].file);
  const mixed = usable.find((e) => isVolume(e.file) !== volumes);
  if (mixed) throw new TtlError('E_BAD_INPUT', `${mixed.origin}: mixes volumes and 2D images in one dataset`);
  const volumeShape = options.volumeShape ?? [size, size, size];
  const decoding: VolumeDecoding = { intensity: options.intensity ?? 'minmax', ...(options.spacing ? { spacing: options.spacing } : {}) };
  // The first image decides the colour; one that cannot be read is named by its manifest row.
  const channels = volumes || options.color === 'gray' ? 1 : options.color === 'rgb' ? 3
    : await channelsOf(usable[0].file).catch((err: TtlError) => {
      throw new TtlError(err.code ?? 'E_BAD_IMAGE', `${usable[0].origin}: ${err.message}`, { cause: err });
    });
  const depths = volumes ? usable.map(() => true) : await mapLimit(usable, decodeConcurrency(options), (e) => isHighDepth(e.file).catch((err: Error) => (bad(e, err.message.replace(`${e.file}: `, '')), null)));
  usable = usable.filter((_, i) => depths[i] !== null);
  if (!usable.length) throw new TtlError('E_BAD_INPUT', `${name}: no usable images`);
  const sixteenBit = depths.some((d) => d === true);
  const targets = multiLabel ? multiHot(usable.map((e) => e.findings!), classes) : undefined;
  // A multi-label set is stratified by each image's rarest finding; its splits' class labels are all 0.
  const labels = targets ? findingStrata(targets, classes.length) : usable.map((e) => classes.indexOf(e.label));
  const given = usable.every((e) => e.split);
  if (given) checkPatients(usable);
  const splitOf = given ? usable.map((e) => e.split!) : stratifiedSplit(labels, usable.map((e) => e.patient), options.fractions ?? { val: 0.1, test: 0.2 }, options.seed ?? 0);
  const split = (name: SplitName) => {
    const index = splitOf.flatMap((s, i) => (s === name ? [i] : []));
    return {
      entries: index.map((i) => usable[i]),
      labels: targets ? new Int32Array(index.length) : Int32Array.from(index, (i) => labels[i]),
      ...(targets ? { targets: rowsOf(targets, index, classes.length) } : {}),
    };
  };
  return {
    name, classes, bits: sixteenBit ? 16 : 8, skipped, bad,
    kind: volumes ? 'volume' : channels === 3 ? 'rgb' : 'gray',
    itemShape: volumes ? [volumeShape[2], volumeShape[1], volumeShape[0]] : channels === 3 ? [size, size, 3] : [size, size],
    ...(volumes ? { volume: decoding } : {}),
    ...(!volumes && options.dicom ? { dicom: options.dicom } : {}),
    splits: { train: split('train'), val: split('val'), test: split('test') },
    decode: async (e) => volumes ? decodeVolume(e.file, volumeShape, decoding, e.origin)
      : (await decodeImage(e.file, size, channels, sixteenBit, e.frame === undefined ? options.dicom : { ...options.dicom, frame: e.frame })).data,
  };
}

/**
 * The 'all' frame policy: a DICOM entry becomes one entry per frame with its label. The frames of one file are one
 * group for the split (its patient, else the file), so that no file is in two splits.
 */
function everyFrame(entry: ManifestEntry, bad: DecodePlan['bad']): ManifestEntry[] {
  if (!isDicom(entry.file)) return [entry];
  let frames: number;
  try {
    frames = readDicomHeader(entry.file).frames;
  } catch (e) {
    bad(entry, (e as Error).message.replace(`${entry.file}: `, ''));
    return [];
  }
  if (frames === 1) return [entry];
  return Array.from({ length: frames }, (_, frame) => ({ ...entry, frame, patient: entry.patient ?? `file:${entry.file}`, origin: `${entry.origin} frame ${frame}` }));
}

function rowsOf(matrix: Uint8Array, index: number[], width: number): Uint8Array {
  const out = new Uint8Array(index.length * width);
  index.forEach((i, j) => out.set(matrix.subarray(i * width, (i + 1) * width), j * width));
  return out;
}

/**
 * Decodes every planned entry into its slot of `sink`, `concurrency` files at a time, reporting progress; returns
 * per split the slots that were decoded (a failure is counted by plan.bad, or thrown).
 */
export async function decodePlan(plan: DecodePlan, sink: SplitSink, options: LoadImagesOptions): Promise<Record<SplitName, number[]>> {
  const jobs = SPLITS.flatMap((split) => plan.splits[split].entries.map((entry, slot) => ({ split, slot, entry })));
  const start = performance.now();
  let done = 0, reported = start;
  const report = (now: number) => {
    const rate = done / Math.max((now - start) / 1000, 1e-9);
    options.onProgress?.({ done, total: jobs.length, imagesPerSecond: rate, etaSeconds: (jobs.length - done) / Math.max(rate, 1e-9) });
    reported = now;
  };
  const ok = await mapLimit(jobs, decodeConcurrency(options), async ({ split, slot, entry }) => {
    let data: Decoded['data'];
    try {
      data = await plan.decode(entry);
    } catch (err) {
      plan.bad(entry, (err as Error).message.replace(`${entry.file}: `, ''));
      return false;
    }
    await sink.put(split, slot, data);
    done++;
    const now = performance.now();
    if (now - reported >= 1000) report(now);
    return true;
  });
  report(performance.now());
  let next = 0;
  const kept = {} as Record<SplitName, number[]>;
  for (const split of SPLITS) {
    const count = plan.splits[split].entries.length;
    kept[split] = Array.from({ length: count }, (_, slot) => slot).filter((slot) => ok[next + slot]);
    next += count;
    // skipBad counts each failure, but a split emptied by them is no dataset (a colour option wrong for every
    // file once loaded 0 images in every split without an error).
    if (count && !kept[split].length) {
      const origins = new Set(plan.splits[split].entries.map((e) => e.origin));
      const first = plan.skipped.find((s) => origins.has(s.origin));
      throw new TtlError('E_BAD_INPUT', `${plan.name}: none of the ${count} ${split} images could be decoded (skipBad skipped them all); ${first?.origin}: ${first?.reason}`);
    }
  }
  return kept;
}

/** The split's labels and targets of the kept slots. */
export function keptTruth(plan: DecodePlan, split: SplitName, kept: number[]): Pick<ImageSplit, 'labels' | 'targets'> {
  const { labels, targets, entries } = plan.splits[split];
  if (kept.length === entries.length) return { labels, targets };
  const width = plan.classes.length;
  return { labels: Int32Array.from(kept, (slot) => labels[slot]), ...(targets ? { targets: rowsOf(targets, kept, width) } : {}) };
}

/** Decodes every image into per-split arrays in memory (the loader without a cache). */
export async function decodeToMemory(plan: DecodePlan, options: LoadImagesOptions): Promise<{ dataset: ImageDataset; report: DatasetLoadReport }> {
  const per = plan.itemShape.reduce((a, b) => a * b, 1);
  const arrays = Object.fromEntries(SPLITS.map((s) => {
    const n = plan.splits[s].entries.length * per;
    return [s, plan.bits === 16 ? new Uint16Array(n) : new Uint8Array(n)];
  })) as Record<SplitName, Uint8Array | Uint16Array>;
  const started = performance.now();
  const kept = await decodePlan(plan, { put: async (split, slot, data) => arrays[split].set(data as never, slot * per) }, options);
  const decodeSeconds = (performance.now() - started) / 1000;
  const build = (split: SplitName): ImageSplit => {
    const slots = kept[split], data = arrays[split];
    slots.forEach((slot, i) => slot !== i && data.copyWithin(i * per, slot * per, (slot + 1) * per));
    return { images: data.subarray(0, slots.length * per), shape: [slots.length, ...plan.itemShape], ...keptTruth(plan, split, slots) };
  };
  const dataset: ImageDataset = {
    name: plan.name, classes: plan.classes, kind: plan.kind, train: build('train'), val: build('val'), test: build('test'),
    ...(plan.volume ? { volume: plan.volume } : {}),
    ...(plan.dicom ? { dicom: plan.dicom } : {}),
  };
  return { dataset, report: { skipped: plan.skipped, source: 'decoded', decodeSeconds } };
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
