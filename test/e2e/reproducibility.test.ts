// Same configuration, same numbers, whatever the neighbours do: a run's trials keep one thread count from start
// to end, 'auto' fixes it when the run is created, and every record says what it ran with. LibTorch's
// reductions split by thread count, so the count that adaptive threads pick beside a CPU-bound process (1 of
// 2 cores here) trains other weights.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { cpuLimit } from '../../src/runtime.js';
import { checkConfig } from '../../src/run/index.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const { TTL_TORCH_THREADS: _pinned, ...inherited } = process.env;
const env = { ...inherited, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir };
const tiny = ['--data', 'breastmnist', '--model', 'squeezenet1_1', '--weights', 'imagenet', '--strategies', 'ftl,ttl', '--search', 'k=6',
  '--epochs', '1', '--image-size', '32', '--batch-size', '32', '--analyses', 'none'];
const trials = (out: string) => readFileSync(join(out, 'journal.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'trial');

let hogs: ChildProcess[] = [];
afterEach(() => {
  for (const hog of hogs) hog.kill('SIGKILL');
  hogs = [];
});

/** A CPU-bound busy loop on every usable core, already spinning when this resolves. */
async function busyNeighbours() {
  hogs = Array.from({ length: cpuLimit().cores }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  await sleep(300);
}

/** `ttl-torch run` in a new run directory; resolves with its trial records. */
function run(extra: string[] = []): Promise<Record<string, unknown>[]> {
  const out = join(mkdtempSync(join(tmpdir(), 'ttl-repro-')), 'run');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'run', ...tiny, ...extra, '--out', out], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => (code === 0 ? resolve(trials(out)) : reject(new Error(`run exited ${code}: ${stderr}`))));
  });
}

const metrics = (records: Record<string, unknown>[]) => records.map((r) => ({ id: r.id, val: r.val, test: r.test, bestEpoch: r.bestEpoch }));

describe('reproducible runs', () => {
  it('the default run gives identical journaled metrics with a CPU-bound process beside it', async () => {
    const quiet = await run();
    await busyNeighbours();
    const busy = await run();
    expect(quiet.map((r) => r.status)).toEqual(['ok', 'ok']);
    expect(metrics(busy)).toEqual(metrics(quiet));
    for (const r of [...quiet, ...busy]) {
      expect(r).toMatchObject({ threads: cpuLimit().cores, precision: 'fp32', libtorch: expect.stringMatching(/^\d+\.\d+/), cpu: expect.any(String) });
      expect(r.deterministic).toBeUndefined();
    }
  }, 240_000);

  it("adaptive threads take the free cores when each trial starts, and record them", async () => {
    if (cpuLimit().cores < 2) return expect(cpuLimit().cores).toBe(1);
    await busyNeighbours();
    const records = await run(['--threads', 'adaptive', '--strategies', 'ftl']);
    expect(records[0].threads).toBeLessThan(cpuLimit().cores);
  }, 120_000);

  it('--deterministic turns on LibTorch deterministic algorithms and says so in every record', async () => {
    const records = await run(['--deterministic', '--threads', '1', '--strategies', 'ftl']);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ status: 'ok', threads: 1, deterministic: true });
  }, 120_000);

  it('a resumed run redoes an unfinished trial with the count it started with', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'ttl-repro-')), 'run');
    // What a run killed in its first trial leaves of it: the trial's recorded count (here other than the run's).
    mkdirSync(join(out, 'trials', 'ttl-k6-s0'), { recursive: true });
    writeFileSync(join(out, 'trials', 'ttl-k6-s0', 'threads.json'), '{"threads":1}\n');
    const resumed = spawnSync(process.execPath, [cli, 'run', ...tiny, '--strategies', 'ttl', '--threads', '2', '--out', out], { env, encoding: 'utf8' });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(trials(out)).toMatchObject([{ id: 'ttl-k6-s0', threads: 1 }]);
  }, 120_000);

  it('threads and deterministic are checked with the field named', () => {
    expect(() => checkConfig({ threads: 'many' })).toThrow("Expected a whole number of threads (1..1024), 'auto' or 'adaptive' for threads but received 'many' of type string");
    expect(() => checkConfig({ threads: 0 })).toThrow(/threads/);
    expect(() => checkConfig({ deterministic: 'yes' })).toThrow("Expected true or false for deterministic but received 'yes' of type string");
    expect(() => checkConfig({ deterministic: true, threads: 'adaptive' })).toThrow("deterministic runs keep one thread count");
  });
});
