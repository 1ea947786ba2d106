// The decoded-image cache: a folder or CSV dataset is decoded once into one file per split (data/image-cache.ts)
// and mapped by every later load. The file name follows the dataset and the decode settings; its header's key
// also follows every source file's size and mtime and every label, so a changed file, label or setting
// rebuilds it. Builds are serialised by a lock file, so the workers of a distributed run on one machine decode
// once between them; the others wait and map the result.
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TtlError } from '../errors.js';
import type { ImageDataset, ImageSplit } from './dataset.js';
import { CACHE_FORMAT, IMAGES_OFFSET, SplitChecksum, finishCacheFile, openImageCache, type CachedSplit } from './image-cache.js';
import { SPLITS, decodePlan, decodeToMemory, keptTruth, planEntries, type DecodePlan } from './load-entries.js';
import type { DatasetLoadReport, LoadImagesOptions, ManifestEntry } from './manifest.js';
import type { SplitName } from './split.js';

const LOCK_POLL_MS = 200;
const MOVE_CHUNK = 16 * 1024 * 1024;

/** The options that change what is decoded or how it is split (not how fast, nor what is reported). */
function decodeSettings(options: LoadImagesOptions) {
  const { size = 64, color = 'auto', fractions, seed = 0, classes, findings, volumeShape, spacing, intensity, dicom, skipBad = false } = options;
  return { size, color, fractions, seed, classes, findings, volumeShape, spacing, intensity, dicom, skipBad };
}

/** The key a valid cache's header carries: the format, the settings, and each entry's file state and truth. */
function cacheKey(entries: ManifestEntry[], options: LoadImagesOptions): string {
  const hash = createHash('sha256').update(JSON.stringify({ format: CACHE_FORMAT, settings: decodeSettings(options) }));
  for (const e of entries) {
    let state = 'missing';
    try {
      const s = statSync(e.file, { bigint: true });
      state = `${s.size}:${s.mtimeNs}`;
    } catch { /* a missing file is part of the key: the rebuild reports it */ }
    hash.update(JSON.stringify([e.file, state, e.label, e.findings ?? null, e.split ?? null, e.patient ?? null]));
  }
  return hash.digest('hex');
}

/** The split files' common path stem: the dataset's name and a digest of its source and settings. */
function cacheStem(dir: string, name: string, source: string, options: LoadImagesOptions): string {
  const id = createHash('sha256').update(JSON.stringify({ source: resolve(source), settings: decodeSettings(options) })).digest('hex').slice(0, 16);
  return join(dir, `${name.replace(/[^\w.-]/g, '_')}-${id}`);
}

const splitFile = (stem: string, split: SplitName) => `${stem}.${split}.ttlcache`;

/**
 * Loads a folder or CSV dataset through the decoded-image cache: mapped from valid cache files, or decoded into
 * new ones (a stale, torn or foreign file is reported through onWarning and rebuilt).
 */
export async function loadThroughCache(name: string, source: string, entries: ManifestEntry[], options: LoadImagesOptions & { cache: string }): Promise<{ dataset: ImageDataset; report: DatasetLoadReport }> {
  const dir = resolve(options.cache);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    // A cache is a speed-up: without a folder for it the data is still decoded, into memory, as before.
    options.onWarning?.(`cannot create the decoded-image cache folder ${dir} (${(e as Error).message}); decoding into memory`);
    return decodeToMemory(await planEntries(name, entries, options), options);
  }
  const stem = cacheStem(dir, name, source, options);
  const key = cacheKey(entries, options);
  const cached = await openAll(stem, key, options);
  if (cached) return fromCache(cached, stem, options);
  const release = await lock(`${stem}.lock`, options);
  try {
    const built = await openAll(stem, key, options, true);  // another process may have built it meanwhile
    if (built) return fromCache(built, stem, options);
    const plan = await planEntries(name, entries, options);
    return fromCache(await buildCache(plan, stem, key, options), stem, undefined, 'decoded');
  } finally {
    release();
  }
}

/** The three split files if all are valid and current; undefined (after saying why, where useful) otherwise. */
async function openAll(stem: string, key: string, options: LoadImagesOptions, quiet = false): Promise<Record<SplitName, CachedSplit> | undefined> {
  const out = {} as Record<SplitName, CachedSplit>;
  for (const split of SPLITS) {
    const file = splitFile(stem, split);
    let opened: CachedSplit | undefined;
    try {
      opened = await openImageCache(file, key);
    } catch (e) {
      const err = e as TtlError;
      if (err.code === 'E_NO_FILE') return undefined;  // not built yet
      if (err.code !== 'E_BAD_CACHE') throw err;
      if (!quiet) options.onWarning?.(`${err.message}; rebuilding the cache`);
      return undefined;
    }
    if (!opened) {
      if (!quiet) options.onWarning?.(`${file}: built from other files, labels or settings; rebuilding the cache`);
      return undefined;
    }
    out[split] = opened;
  }
  return out;
}

/**
 * The dataset of opened split files; `replay`: say again the files the build skipped (a build said them as it
 * went); `source`: 'decoded' when this load built them.
 */
function fromCache(splits: Record<SplitName, CachedSplit>, stem: string, replay?: LoadImagesOptions, source: DatasetLoadReport['source'] = 'cache'): { dataset: ImageDataset; report: DatasetLoadReport } {
  const { header } = splits.train;
  for (const s of header.skipped) replay?.onWarning?.(`skipped ${s.origin}: ${s.reason}`);
  const split = (s: SplitName): ImageSplit => ({ images: splits[s].images, shape: splits[s].header.shape, labels: splits[s].labels, ...(splits[s].targets ? { targets: splits[s].targets } : {}) });
  const dataset: ImageDataset = {
    name: header.name, classes: header.classes, kind: header.kind, train: split('train'), val: split('val'), test: split('test'),
    ...(header.volume ? { volume: header.volume } : {}),
    ...(header.dicom ? { dicom: header.dicom } : {}),
  };
  return { dataset, report: { skipped: header.skipped, source, decodeSeconds: header.decodeSeconds, cacheFiles: SPLITS.map((s) => splitFile(stem, s)) } };
}

/**
 * Takes the build lock (a file created exclusively, holding the builder's pid); waits while a live process holds
 * it and takes over one whose process is gone. Returns the release.
 */
async function lock(path: string, options: LoadImagesOptions): Promise<() => void> {
  let said = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new TtlError('E_NO_FILE', `cannot create the cache lock ${path}: ${(e as Error).message}`);
    }
    const holder = Number(readFileSync(path, 'utf8').trim() || NaN);
    if (!alive(holder)) {
      rmSync(path, { force: true });  // its builder died; its temporary files are its own
      continue;
    }
    if (!said) options.onWarning?.(`waiting for process ${holder}, which is building the decoded-image cache (${path})`);
    said = true;
    await sleep(LOCK_POLL_MS);
  }
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Decodes the plan into temporary split files, finishes and renames them; returns them as opened. */
async function buildCache(plan: DecodePlan, stem: string, key: string, options: LoadImagesOptions): Promise<Record<SplitName, CachedSplit>> {
  const perBytes = plan.itemShape.reduce((a, b) => a * b, 1) * (plan.bits / 8);
  const temp = (s: SplitName) => `${splitFile(stem, s)}.tmp-${process.pid}`;
  const handles = {} as Record<SplitName, FileHandle>;
  const sums = {} as Record<SplitName, SplitChecksum>;
  const started = performance.now();
  try {
    for (const s of SPLITS) {
      handles[s] = await open(temp(s), 'w+');
      sums[s] = new SplitChecksum(plan.splits[s].entries.length);
    }
    const kept = await decodePlan(plan, {
      // Written synchronously: a page-cache write of one image is short, and an async write would queue in the
      // libuv threads that sharp decodes on (measured: 286 vs 428 images/s for sharp alone on 150k JPEGs).
      put: async (split, slot, data) => {
        const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        sums[split].image(slot, bytes);
        for (let done = 0; done < bytes.length;) done += writeSync(handles[split].fd, bytes, done, bytes.length - done, IMAGES_OFFSET + slot * perBytes + done);
      },
    }, options);
    const decodeSeconds = (performance.now() - started) / 1000;
    const out = {} as Record<SplitName, CachedSplit>;
    for (const s of SPLITS) {
      await dropFailed(handles[s], kept[s], perBytes);
      sums[s].keep(kept[s]);
      const { labels, targets } = keptTruth(plan, s, kept[s]);
      const header = {
        key, split: s, name: plan.name, classes: plan.classes, kind: plan.kind, shape: [kept[s].length, ...plan.itemShape], bits: plan.bits,
        checksum: sums[s].digest(kept[s].length, labels, targets), skipped: plan.skipped, ...(plan.volume ? { volume: plan.volume } : {}), ...(plan.dicom ? { dicom: plan.dicom } : {}),
        decodeSeconds, builtAt: new Date().toISOString(),
      };
      const written = await finishCacheFile(handles[s], header, labels, targets);
      await handles[s].close();
      out[s] = { header: written, images: { file: splitFile(stem, s), offset: IMAGES_OFFSET, bits: plan.bits }, labels, ...(targets ? { targets } : {}) };
    }
    for (const s of SPLITS) renameSync(temp(s), splitFile(stem, s));
    return out;
  } catch (e) {
    for (const s of SPLITS) {
      await handles[s]?.close().catch(() => undefined);
      rmSync(temp(s), { force: true });
    }
    throw e;
  }
}

/** Moves the kept slots down over the failed ones (only when a file failed to decode, with skipBad). */
async function dropFailed(handle: FileHandle, kept: number[], perBytes: number): Promise<void> {
  const buffer = new Uint8Array(Math.min(MOVE_CHUNK, Math.max(perBytes, 1)));
  for (let to = 0; to < kept.length; to++) {
    const from = kept[to];
    if (from === to) continue;
    for (let done = 0; done < perBytes; done += buffer.length) {
      const n = Math.min(buffer.length, perBytes - done);
      await handle.read(buffer, 0, n, IMAGES_OFFSET + from * perBytes + done);
      await handle.write(buffer, 0, n, IMAGES_OFFSET + to * perBytes + done);
    }
  }
}
