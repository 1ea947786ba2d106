// kill -9 at seeded points of small real runs (SqueezeNet 1.1 on BreastMNIST, 1 epoch at 32 px): while
// a trial trains, inside a journal append, inside a checkpoint write, inside a report write. Every
// resume completes, every finished trial is journaled exactly once, the report regenerates.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: plain ESM without types
import { rng } from '../../fuzz/rng.mjs';
import { readSafetensors } from '../../src/weights/index.js';
import { readJournal, recordProblem, trialRecords, type TrialRecord } from '../../src/run/journal.js';
import { root, shared, testCacheDir } from '../support/helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
// The pause holds each journal append mid-line and each atomic write before its rename, so polling
// kills land inside them; training and resuming are untouched.
const env = {
  ...process.env, TTL_TORCH_MIRROR: shared, TTL_TORCH_OFFLINE: '1', TTL_TORCH_CACHE: testCacheDir, TTL_TORCH_THREADS: '1',
  TTL_TORCH_TEST_WRITE_PAUSE_MS: '120',
};
const args = ['--data', 'breastmnist', '--model', 'squeezenet1_1', '--weights', 'imagenet', '--epochs', '1', '--image-size', '32', '--batch-size', '64',
  '--lr', '0.003', '--strategies', 'ftl,ttl', '--search', 'k=2,3', '--analyses', 'none'];
const PLANNED = ['ftl-k9-s0', 'ttl-k2-s0', 'ttl-k3-s0'];
const KILLS = 24;
const PHASES = ['trial', 'journal', 'checkpoint', 'report'] as const;
type Phase = (typeof PHASES)[number];

const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : []);
const journalText = (dir: string) => (existsSync(join(dir, 'journal.jsonl')) ? readFileSync(join(dir, 'journal.jsonl'), 'utf8') : '');

/** Whether the run in `dir` is inside the writes of `phase` right now (`before`: the journal at start). */
function inside(phase: Phase, dir: string, before: string): boolean {
  if (phase === 'journal') {
    // A line being written now, not the torn line a previous kill left (the resume repairs that one).
    const text = journalText(dir);
    return text !== before && text.length > 0 && !text.endsWith('\n');
  }
  if (phase === 'checkpoint') return files(join(dir, 'trials')).some((f) => /best\.safetensors\..*\.tmp$/.test(f));
  if (phase === 'report') return files(dir).some((f) => /^(results\.(json|csv|md)|report\.html)\..*\.tmp$/.test(f));
  return false;
}

/** Runs (or resumes) the run in `dir`, killing it with SIGKILL in `phase` (or after `delayMs` for 'trial'). */
function attempt(dir: string, fresh: boolean, phase: Phase, delayMs: number): Promise<{ killed: boolean; status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [cli, 'run', ...(fresh ? [...args, '--out', dir] : ['--resume', dir])], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  let killed = false;
  const started = performance.now();
  const before = journalText(dir);
  const poll = setInterval(() => {
    const due = phase === 'trial' ? performance.now() - started > delayMs : inside(phase, dir, before);
    if (due && !killed) (killed = child.kill('SIGKILL')), clearInterval(poll);
  }, 5);
  return new Promise((resolve) => child.on('exit', (status) => (clearInterval(poll), resolve({ killed, status, stderr }))));
}

function isRecord(line: string): boolean {
  try {
    return recordProblem(JSON.parse(line)) === null;
  } catch {
    return false;
  }
}

function checkRun(dir: string) {
  const records = readJournal(join(dir, 'journal.jsonl'), () => {});
  const ids = trialRecords(records).map((r) => r.id);
  const text = readFileSync(join(dir, 'journal.jsonl'), 'utf8');
  const lines = text.trimEnd().split('\n');
  expect(text.endsWith('\n')).toBe(true);
  expect(lines.filter((l) => JSON.parse(l).type === 'trial').length, 'no trial journaled twice').toBe(ids.length);
  expect([...ids].sort()).toEqual(PLANNED);
  for (const r of trialRecords(records) as TrialRecord[]) {
    expect(r.status).toBe('ok');
    expect(readSafetensors(join(dir, 'trials', r.id, 'best.safetensors')).tensors.size).toBeGreaterThan(0);
  }
  // Torn fragments were set aside, never parsed as records.
  const torn = existsSync(join(dir, 'journal.jsonl.torn')) ? readFileSync(join(dir, 'journal.jsonl.torn'), 'utf8').trimEnd().split('\n') : [];
  for (const fragment of torn) expect(isRecord(fragment), fragment).toBe(false);
  const report = spawnSync(process.execPath, [cli, 'report', dir], { env, encoding: 'utf8' });
  expect(report.status, report.stderr).toBe(0);
  expect(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')).rows.length).toBeGreaterThan(0);
  return torn.length;
}

describe('crash safety of runs', () => {
  it(`${KILLS} seeded kill -9s: resumes complete, trials journaled exactly once, reports regenerate`, async () => {
    const r = rng(11);
    const base = mkdtempSync(join(tmpdir(), 'ttl-crash-'));
    const kills: Record<Phase, number> = { trial: 0, journal: 0, checkpoint: 0, report: 0 };
    let runs = 0;
    let tornFragments = 0;
    let dir = '';
    let fresh = true;
    while (Object.values(kills).reduce((a, b) => a + b, 0) < KILLS) {
      if (fresh) dir = join(base, `run${++runs}`);
      const phase: Phase = r.pick(PHASES);
      const result = await attempt(dir, fresh, phase, 300 + r.int(1500));
      if (result.killed) {
        kills[phase]++;
        fresh = false;
        continue;
      }
      expect(result.status, result.stderr).toBe(0); // not killed: the resume ran to the end
      tornFragments += checkRun(dir);
      fresh = true;
    }
    if (!fresh) {
      const last = await attempt(dir, false, 'trial', Infinity);
      expect(last.status, last.stderr).toBe(0);
      tornFragments += checkRun(dir);
    }
    console.log(`crash safety: ${JSON.stringify(kills)} kills over ${runs} runs, ${tornFragments} torn journal lines repaired`);
    for (const phase of PHASES) expect(kills[phase], `kills during ${phase}`).toBeGreaterThan(0);
    expect(tornFragments).toBeGreaterThan(0);
  }, 300_000);
});
