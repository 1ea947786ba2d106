// `ttl-torch run` interrupted by SIGINT/SIGTERM: it stops at the next batch, keeps its journal, says how
// to resume, and the resumed run finishes what was left.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root, shared, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const env = { ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir, TTL_TORCH_THREADS: '1' };
const tiny = ['--data', 'breastmnist', '--model', 'squeezenet1_1', '--weights', 'imagenet', '--image-size', '32', '--batch-size', '32', '--analyses', 'none'];
const trials = (path: string) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.type === 'trial');
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('ttl-torch run under a signal', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal} stops the trial in flight, keeps the journal and prints how to resume`, async () => {
      const out = mkdtempSync(join(tmpdir(), 'ttl-interrupt-'));
      dirs.push(out);
      const child = spawn(process.execPath, [cli, 'run', ...tiny, '--epochs', '4', '--strategies', 'ftl,ttl', '--search', 'k=4', '--out', out], { env });
      let stdout = '';
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      let sentAt = 0;
      // The first trial finishes, then the signal lands in the second trial's first epoch.
      child.stdout.on('data', (d) => {
        stdout += d;
        if (!sentAt && /ttl-k4-s0 epoch 1\/4/.test(stdout)) {
          sentAt = performance.now();
          child.kill(signal);
        }
      });
      const timeout = setTimeout(() => child.kill('SIGKILL'), 100_000);
      const code = await exited;
      clearTimeout(timeout);
      const stopMs = performance.now() - sentAt;
      expect(sentAt).toBeGreaterThan(0);
      expect(code).toBe(130);
      expect(stdout).toContain(`${signal}: stopping after the current batch`);
      expect(stderr).toContain(`resume with: ttl-torch run --resume ${out}`);
      const before = trials(join(out, 'journal.jsonl')).map((r) => r.id);
      expect(before).toHaveLength(1);
      expect(before[0]).toMatch(/^ftl-/);
      console.log(`${signal}: the run exited ${stopMs.toFixed(0)} ms after the signal`);

      const resumed = spawnSync(process.execPath, [cli, 'run', '--resume', out], { env, encoding: 'utf8', timeout: 100_000 });
      expect(resumed.status).toBe(0);
      const ids = trials(join(out, 'journal.jsonl')).map((r) => r.id);
      expect(ids).toContain('ttl-k4-s0');
      expect(new Set(ids).size).toBe(ids.length);
      expect(existsSync(join(out, 'results.json'))).toBe(true);
    });
  }
});
