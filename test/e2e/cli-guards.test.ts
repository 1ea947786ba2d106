// The CLI refuses a corrupt run or an impossible --out with a coded one-line error, fast, instead of
// aborting (repeats 1e9 once exhausted the V8 heap) or hanging (mkdir under /proc).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { probeBatch, resolveConfig } from '../../src/cli/run.js';
import { getModelCard } from '../../src/index.js';
import { registerModel } from '../../src/models.js';
import { TRAINING_DEFAULTS } from '../../src/train/index.js';
import { readRunConfig } from '../../src/run/index.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir };
const saved = { task: 'classification', data: 'breastmnist', model: 'squeezenet1_1', weights: 'imagenet', strategies: ['ftl', 'ttl'], search: 'block', repeats: 1, epochs: 1, imageSize: 32 };
const runDir = (config: object | string) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ttl-guard-')), 'run');
  mkdirSync(dir);
  writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
};
const ttl = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { env, encoding: 'utf8', timeout: 60_000 });

describe('run --resume and report check config.json like flags', () => {
  it.each([
    [{ repeats: 1e9 }, 'Expected an integer between 1 and 100 for repeats but received 1000000000 of type number'],
    [{ search: 'bogus' }, "Expected 'block', 'two-stage', 'all', 'probe' or 'k=LIST' (e.g. k=4,8,14) for search but received 'bogus' of type string"],
    [{ search: [99] }, 'search k=99 is out of range for squeezenet1_1: use 1..9'],
    [{ strategies: 7 }, 'Expected a list of ftl, ffe, lwft, tf, ttl for strategies but received 7 of type number'],
  ])('%j', (change, message) => {
    const dir = runDir({ ...saved, ...change });
    for (const args of [['run', '--resume', dir], ['report', dir]]) {
      const r = ttl(...args);
      expect(r.signal).toBeNull();
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(`ttl-torch [E_BAD_RUN]: ${join(dir, 'config.json')}: ${message}\n`);
    }
  });

  it('a config.json that is not JSON names the file', () => {
    const dir = runDir('{"repeats": 1');
    expect(ttl('report', dir).stderr).toMatch(new RegExp(`^ttl-torch \\[E_BAD_RUN\\]: ${join(dir, 'config.json')}: .*JSON`));
  });

  it('strategies saved as a string read as a list', () => {
    expect(readRunConfig(runDir({ ...saved, strategies: 'ftl,ttl' })).strategies).toEqual(['ftl', 'ttl']);
  });

  it('a run saved before lastBatch resumes with ragged last batches; a saved choice is kept and checked', () => {
    expect(readRunConfig(runDir(saved)).lastBatch).toBe('keep');
    expect(readRunConfig(runDir({ ...saved, lastBatch: 'drop' })).lastBatch).toBe('drop');
    expect(ttl('report', runDir({ ...saved, lastBatch: 'yes' })).stderr).toMatch(/Expected one of 'keep', 'even', 'drop' for lastBatch but received 'yes'/);
  });

  it("a card's own train.lr is a run's default LR; --lr overrides it; cards without one get the general default", () => {
    registerModel({ ...getModelCard('squeezenet1_1'), name: 'squeezenet_slow', train: { lr: 0.003, why: 'test' } });
    expect(resolveConfig({ model: 'squeezenet_slow' }).lr).toBe(0.003);
    expect(resolveConfig({ model: 'squeezenet_slow', lr: '0.02' }).lr).toBe(0.02);
    expect(resolveConfig({ model: 'squeezenet1_1' }).lr).toBe(TRAINING_DEFAULTS.lr);
  });

  it('--last-batch reaches the run config, checked by name', () => {
    expect(resolveConfig({ lastBatch: 'even' }).lastBatch).toBe('even');
    expect(resolveConfig({}).lastBatch).toBe('drop');
    expect(() => resolveConfig({ lastBatch: 'all' })).toThrow("Expected one of 'keep', 'even', 'drop' for lastBatch but received 'all'");
  });
});

describe('--out', () => {
  it('under /proc is refused in seconds, not a hang', () => {
    const r = ttl('run', '--data', 'breastmnist', '--epochs', '1', '--image-size', '32', '--out', '/proc/1/run');
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('ttl-torch [E_BAD_ARGUMENT]: cannot use /proc/1/run as the run folder (--out): /proc/1 is on a kernel pseudo file system (/proc, /sys)\n');
  });

  it('under a file names the file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ttl-guard-')), 'notes.txt');
    writeFileSync(file, 'x');
    const r = ttl('run', '--data', 'breastmnist', '--epochs', '1', '--image-size', '32', '--out', join(file, 'run'));
    expect(r.stderr).toBe(`ttl-torch [E_BAD_ARGUMENT]: cannot use ${join(file, 'run')} as the run folder (--out): ${file} is a file, not a folder\n`);
  });

  it('--image-size below the model minimum names the minimum', () => {
    const r = ttl('run', '--data', 'breastmnist', '--image-size', '16', '--out', join(tmpdir(), 'never'));
    expect(r.stderr).toBe('ttl-torch [E_BAD_ARGUMENT]: imageSize 16 is too small for squeezenet1_1: its layers need at least 17 px\n');
  });
});

describe('--dry-run timing batch', () => {
  it('is the batch size at small inputs, and shrinks so that 4096 px never needs gigabytes', () => {
    expect(probeBatch(64, [3, 64, 64])).toBe(64);
    expect(probeBatch(64, [3, 1024, 1024])).toBe(5);
    expect(probeBatch(64, [3, 4096, 4096])).toBe(1); // 201 MB, not 12.9 GB
  });
});
