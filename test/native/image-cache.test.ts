// The decoded-image cache: a folder or CSV dataset decoded once into a file per split, mapped by later loads and
// by the native pipeline; changed sources rebuild it; torn, foreign, other-version and corrupt files are refused
// with E_BAD_CACHE and rebuilt. Real PNGs (PneumoniaMNIST X-rays, 16-bit ramps, BCCD mosaics), real sharp.
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, statSync, truncateSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { finetune } from '../../src/index.js';
import { imageRows, loadDataset, openImageCache, readMedMNIST, type ImageDataset } from '../../src/data/index.js';
import { writeBccdMosaics } from '../support/bccd-mosaics.js';
import { shared } from '../support/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'ttl-cache-'));
const xrays = join(dir, 'xrays');
const ramps = join(dir, 'ramps');
let cacheCount = 0;
const freshCache = () => join(dir, `cache-${cacheCount++}`);
const SPLITS = ['train', 'val', 'test'] as const;

beforeAll(async () => {
  const pneumonia = readMedMNIST(join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'));
  const images = pneumonia.train.images as Uint8Array;
  for (const label of ['normal', 'pneumonia']) mkdirSync(join(xrays, label), { recursive: true });
  let written = { normal: 0, pneumonia: 0 };
  for (let i = 0; written.normal + written.pneumonia < 80; i++) {
    const label = pneumonia.train.labels[i] ? 'pneumonia' : 'normal';
    if (written[label] === 40) continue;
    await sharp(images.subarray(i * 784, (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(xrays, label, `${i}.png`));
    written = { ...written, [label]: written[label] + 1 };
  }
  for (const label of ['a', 'b']) mkdirSync(join(ramps, label), { recursive: true });
  for (let i = 0; i < 20; i++) {
    const ramp = Uint16Array.from({ length: 16 * 16 }, (_, j) => (j * 257 + i * 997 + (i % 2) * 30000) % 65536);
    await sharp(ramp, { raw: { width: 16, height: 16, channels: 1 } }).toColourspace('grey16').png().toFile(join(ramps, i % 2 ? 'b' : 'a', `${i}.png`));
  }
});

/** Every split of `cached` (mapped) holds the same images, labels and targets as `memory` (decoded now). */
function expectSameData(cached: ImageDataset, memory: ImageDataset): void {
  expect(cached.classes).toEqual(memory.classes);
  expect(cached.kind).toBe(memory.kind);
  for (const s of SPLITS) {
    expect(cached[s].shape).toEqual(memory[s].shape);
    expect(ArrayBuffer.isView(cached[s].images)).toBe(false);
    expect(imageRows(cached[s], 0, cached[s].shape[0])).toEqual(memory[s].images);
    expect(cached[s].labels).toEqual(memory[s].labels);
    expect(cached[s].targets).toEqual(memory[s].targets);
  }
}

const trainFile = (cache: string) => join(cache, readdirSync(cache).find((f) => f.endsWith('.train.ttlcache'))!);

describe('decoded-image cache', () => {
  it('the first load decodes into the cache; the next maps it without decoding, with the same data', async () => {
    const cache = freshCache();
    const progress: number[] = [];
    const first = await loadDataset(xrays, { size: 28, cache, onProgress: (p) => progress.push(p.done) });
    expect(first.report.source).toBe('decoded');
    expect(progress.at(-1)).toBe(80);
    expect(readdirSync(cache).filter((f) => f.endsWith('.ttlcache'))).toHaveLength(3);
    const memory = await loadDataset(xrays, { size: 28 });
    expect(memory.report.source).toBe('decoded');
    expectSameData(first.dataset, memory.dataset);

    const again: number[] = [];
    const second = await loadDataset(xrays, { size: 28, cache, onProgress: (p) => again.push(p.done) });
    expect(second.report.source).toBe('cache');
    expect(again).toEqual([]);  // nothing was decoded
    expectSameData(second.dataset, memory.dataset);
  });

  it('another decode setting is another cache file; a changed source file rebuilds it', async () => {
    const cache = freshCache();
    await loadDataset(xrays, { size: 28, cache });
    expect((await loadDataset(xrays, { size: 20, cache })).report.source).toBe('decoded');
    expect(readdirSync(cache).filter((f) => f.endsWith('.ttlcache'))).toHaveLength(6);
    const file = join(xrays, 'normal', readdirSync(join(xrays, 'normal'))[0]);
    const { atime, mtime } = statSync(file);
    utimesSync(file, atime, new Date(mtime.getTime() + 5000));
    const warnings: string[] = [];
    const rebuilt = await loadDataset(xrays, { size: 28, cache, onWarning: (w) => warnings.push(w) });
    expect(rebuilt.report.source).toBe('decoded');
    expect(warnings.join('\n')).toMatch(/built from other files, labels or settings; rebuilding the cache/);
    expect((await loadDataset(xrays, { size: 28, cache })).report.source).toBe('cache');
  });

  const damages: [string, (file: string) => void, RegExp][] = [
    ['torn', (f) => truncateSync(f, statSync(f).size - 100), /torn/],
    ['foreign', (f) => writeFileSync(f, Buffer.alloc(8192, 7)), /not a ttl-torch image cache .*foreign/],
    ['from another format version', (f) => patch(f, 8, Buffer.from([9, 0, 0, 0])), /cache format 9; this version of ttl-torch reads format 1/],
    ['corrupt', (f) => patch(f, 4096 + 300, Buffer.from([0x5a, 0xa5])), /do not match the checksum .*corrupt/],
  ];
  for (const [what, damage, reason] of damages) {
    it(`a ${what} cache file is refused with E_BAD_CACHE naming it, and rebuilt`, async () => {
      const cache = freshCache();
      const memory = await loadDataset(xrays, { size: 28 });
      await loadDataset(xrays, { size: 28, cache });
      const file = trainFile(cache);
      damage(file);
      await expect(openImageCache(file)).rejects.toMatchObject({ code: 'E_BAD_CACHE', message: expect.stringMatching(reason) });
      await expect(openImageCache(file)).rejects.toThrow(file);
      const warnings: string[] = [];
      const rebuilt = await loadDataset(xrays, { size: 28, cache, onWarning: (w) => warnings.push(w) });
      expect(rebuilt.report.source).toBe('decoded');
      expect(warnings.join('\n')).toContain(`${file}: `);
      expectSameData(rebuilt.dataset, memory.dataset);
      expect((await openImageCache(file))!.header.split).toBe('train');
    });
  }

  it('16-bit images keep 16 bits in the cache and reach the network as they do from memory', async () => {
    const cache = freshCache();
    await loadDataset(ramps, { size: 16, cache, fractions: { val: 0.2, test: 0.2 } });
    const cached = await loadDataset(ramps, { size: 16, cache, fractions: { val: 0.2, test: 0.2 } });
    const memory = await loadDataset(ramps, { size: 16, fractions: { val: 0.2, test: 0.2 } });
    expect(cached.report.source).toBe('cache');
    expect(imageRows(cached.dataset.train, 0, 1)).toBeInstanceOf(Uint16Array);
    expectSameData(cached.dataset, memory.dataset);
    // Values above 32767 are where an int16 view of the mapping would go wrong.
    expect(Math.max(...(memory.dataset.train.images as Uint16Array))).toBeGreaterThan(60000);
    const train = (data: ImageDataset) => finetune({
      model: 'resnet18', strategy: { kind: 'ttl', cutoff: 3 }, data, imageSize: 16, epochs: 1, batchSize: 4, lr: 0.01, device: 'cpu', seed: 1, augment: false,
    });
    const [a, b] = [await train(cached.dataset), await train(memory.dataset)];
    expect(a.curves.map(withoutTime)).toEqual(b.curves.map(withoutTime));
    expect(a.test).toEqual(b.test);
  });

  it('training from the mapped splits gives exactly the losses and metrics of training from memory', async () => {
    const cache = freshCache();
    await loadDataset(xrays, { size: 28, cache });
    const cached = (await loadDataset(xrays, { size: 28, cache })).dataset;
    const memory = (await loadDataset(xrays, { size: 28 })).dataset;
    const train = (data: ImageDataset) => finetune({
      model: 'squeezenet1_1', strategy: { kind: 'ftl' }, data, imageSize: 28, epochs: 1, batchSize: 16, lr: 0.01, device: 'cpu', seed: 2,
    });
    const [a, b] = [await train(cached), await train(memory)];
    expect(a.curves.map(withoutTime)).toEqual(b.curves.map(withoutTime));
    expect(a.val).toEqual(b.val);
    expect(a.test).toEqual(b.test);
  });

  it('multi-label targets are cached with their images', async () => {
    const cache = freshCache();
    const { csv } = await writeBccdMosaics(join(dir, 'mosaics'), { counts: { train: 8, val: 4, test: 4 } });
    await loadDataset(csv, { size: 32, cache });
    const cached = await loadDataset(csv, { size: 32, cache });
    expect(cached.report.source).toBe('cache');
    expect(cached.dataset.train.targets!.length).toBe(8 * 3);
    expectSameData(cached.dataset, (await loadDataset(csv, { size: 32 })).dataset);
  });

  it('two loads at once decode once: the second waits for the first build and maps it', async () => {
    const cache = freshCache();
    const warnings: string[] = [];
    const [a, b] = await Promise.all([
      loadDataset(xrays, { size: 24, cache }),
      loadDataset(xrays, { size: 24, cache, onWarning: (w) => warnings.push(w) }),
    ]);
    expect([a.report.source, b.report.source].sort()).toEqual(['cache', 'decoded']);
    expect(readdirSync(cache).filter((f) => !f.endsWith('.ttlcache'))).toEqual([]);  // no lock or temporary file left
  });

  it('skipped files are recorded in the cache and reported by every load', async () => {
    const cache = freshCache();
    const root = join(dir, 'with-bad');
    for (const label of ['normal', 'pneumonia']) {
      mkdirSync(join(root, label), { recursive: true });
      for (const f of readdirSync(join(xrays, label)).slice(0, 10)) writeFileSync(join(root, label, f), readFileSync(join(xrays, label, f)));
    }
    // A readable header over cut-off pixel data: it passes the header scan and fails to decode, in its split.
    const whole = readFileSync(join(root, 'normal', readdirSync(join(root, 'normal'))[0]));
    writeFileSync(join(root, 'normal', 'broken.png'), whole.subarray(0, whole.length - 40));
    const first = await loadDataset(root, { size: 28, cache, skipBad: true });
    const warnings: string[] = [];
    const second = await loadDataset(root, { size: 28, cache, skipBad: true, onWarning: (w) => warnings.push(w) });
    expect(second.report.source).toBe('cache');
    expect(second.report.skipped).toEqual(first.report.skipped);
    expect(first.report.skipped.map((s) => s.origin)).toEqual([join('normal', 'broken.png')]);
    expect(warnings).toEqual([expect.stringContaining('skipped normal/broken.png')]);
    expect(SPLITS.reduce((n, s) => n + second.dataset[s].shape[0], 0)).toBe(20);
  });
});

const withoutTime = <T extends { seconds: number }>({ seconds, ...rest }: T) => rest;

function patch(file: string, at: number, bytes: Buffer): void {
  const fd = openSync(file, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}
