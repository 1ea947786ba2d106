// `ttl-torch run` over a folder of real PNGs (PneumoniaMNIST X-rays) twice: the first run decodes the images into
// the decoded-image cache, the second maps them and starts training without decoding; --data-cache off decodes
// again.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readMedMNIST } from '../../src/data/index.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir, TTL_TORCH_THREADS: '1' };
const dir = mkdtempSync(join(tmpdir(), 'ttl-cache-run-'));
const folder = join(dir, 'xrays');

beforeAll(async () => {
  const { train } = readMedMNIST(join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'));
  for (let i = 0; i < 60; i++) {
    const label = train.labels[i] ? 'pneumonia' : 'normal';
    mkdirSync(join(folder, label), { recursive: true });
    await sharp(train.images.subarray(i * 784, (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } }).png().toFile(join(folder, label, `${i}.png`));
  }
});

describe('ttl-torch run with the decoded-image cache', () => {
  it('decodes on the first run, maps the cache on the second, and decodes into memory with --data-cache off', () => {
    const cache = join(dir, 'cache');
    const run = (name: string, ...flags: string[]) => {
      const r = spawnSync(process.execPath, [
        cli, 'run', '--data', folder, '--model', 'squeezenet1_1', '--weights', 'none', '--epochs', '1', '--image-size', '32',
        '--strategies', 'ftl', '--analyses', 'none', '--out', join(dir, name), ...flags,
      ], { env: { ...env, TTL_TORCH_MIRROR: '' }, encoding: 'utf8' });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      return r.stdout;
    };
    const first = run('first', '--data-cache', cache);
    expect(first).toMatch(/decoding: \d+\/\d+ images, \d+ images\/s/);
    expect(first).not.toContain('mapped from the decoded-image cache');
    expect(readdirSync(cache).filter((f) => f.endsWith('.ttlcache'))).toHaveLength(3);
    const second = run('second', '--data-cache', cache);
    expect(second).toContain('data: mapped from the decoded-image cache');
    expect(second).not.toContain('decoding:');
    // The same data, the same seed, one thread: the same trial.
    const score = (out: string) => /done ftl-\S+: val AUROC ([\d.]+), test AUROC ([\d.]+)/.exec(out)?.slice(1);
    expect(score(first)).toHaveLength(2);
    expect(score(second)).toEqual(score(first));
    const off = run('off', '--data-cache', 'off');
    expect(off).toMatch(/decoding: /);
    expect(off).not.toContain('mapped from the decoded-image cache');
    expect(score(off)).toEqual(score(first));
  });
});
