// Runs fuzz cases, each in its own child process with a V8 heap cap, an RSS watchdog and a timeout, and
// classifies it: success, clean (a coded error naming the file), crash, hang or memory.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { havoc } from './bytes.mjs';
import { FORMATS } from './formats/index.mjs';
import { rng } from './rng.mjs';

const target = join(dirname(fileURLToPath(import.meta.url)), 'target.mjs');
export const LIMITS = { timeoutMs: 10_000, rssCapMb: 512, heapMb: 384 };
// Directory-shaped cases get their byte havoc on the text file that matters.
const HAVOC_FILE = { csv: 'labels.csv', rundir: 'run/journal.jsonl' };

/** The files of case `index` of a campaign: structure-aware mutations, then sometimes byte havoc. */
export async function makeCase(format, seed, index) {
  const r = rng((seed * 1_000_003 + index * 7919 + [...format].reduce((a, c) => a * 31 + c.charCodeAt(0), 0)) >>> 0);
  const c = await FORMATS[format](r);
  if (c.havoc || r.chance(0.25)) {
    const name = HAVOC_FILE[format] ?? c.entry;
    const file = c.files.find((f) => f.path === name);
    if (file) file.data = havoc(file.data, r);
  }
  return c;
}

export function writeCase(c, dir = mkdtempSync(join(tmpdir(), 'ttl-fuzz-'))) {
  for (const f of c.files) {
    mkdirSync(dirname(join(dir, f.path)), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
  return dir;
}

function rssMb(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs the reader of `format` on dir/entry in a child process and classifies what happened. */
export function runTarget(format, dir, entry, limits = LIMITS) {
  const start = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${limits.heapMb}`, target, format, dir, entry], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TTL_TORCH_THREADS: '1' },
    });
    let stdout = '';
    let stderr = '';
    let verdict = null;
    let peak = 0;
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    const timer = setTimeout(() => ((verdict ??= { outcome: 'hang', why: `no result after ${limits.timeoutMs} ms` }), child.kill('SIGKILL')), limits.timeoutMs);
    const watchdog = setInterval(() => {
      peak = Math.max(peak, rssMb(child.pid));
      if (peak > limits.rssCapMb) (verdict ??= { outcome: 'memory', why: `RSS ${peak.toFixed(0)} MB over the ${limits.rssCapMb} MB cap` }), child.kill('SIGKILL');
    }, 20);
    // 'close', not 'exit': exit can come before the last stdout chunk is read.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(watchdog);
      const ms = Math.round(performance.now() - start);
      if (verdict) return resolve({ ...verdict, ms, maxRssMb: Math.round(peak) });
      const last = stdout.trim().split('\n').at(-1) ?? '';
      let result = null;
      try {
        result = JSON.parse(last);
      } catch {
        /* no result line: the process died */
      }
      if (!result) {
        const oom = /heap out of memory|Allocation failed/.test(stderr);
        return resolve({ outcome: oom ? 'memory' : 'crash', why: `exit ${code ?? signal}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`, ms, maxRssMb: Math.round(peak) });
      }
      if (result.maxRssMb > limits.rssCapMb) return resolve({ ...result, outcome: 'memory', why: `peak RSS ${result.maxRssMb} MB`, ms });
      resolve({ ...result, ms });
    });
  });
}

/** Makes, runs and cleans up one case. */
export async function runCase(format, seed, index, limits = LIMITS) {
  const c = await makeCase(format, seed, index);
  const dir = writeCase(c);
  try {
    return { format, seed, index, ...(await runTarget(format, dir, c.entry, limits)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `count` cases per format, `concurrency` at a time; calls onResult as each finishes. */
export async function campaign({ formats = Object.keys(FORMATS), seed = 1, count = 10, concurrency = 2, limits = LIMITS, onResult = () => {} }) {
  const queue = formats.flatMap((format) => Array.from({ length: count }, (_, index) => ({ format, index })));
  const results = [];
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const result = await runCase(job.format, seed, job.index, limits);
      results.push(result);
      onResult(result);
    }
  }));
  return results;
}
