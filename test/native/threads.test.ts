// The default thread count follows the cores other processes leave free: beside competing CPU-bound
// processes, all cores trained slower than one (README "Contention"). A fixed count stays fixed.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createModel, runtimeInfo } from '../../src/index.js';
import { setThreads } from '../../src/runtime.js';
import { root } from '../support/helpers.js';

const cores = availableParallelism();
let hogs: ChildProcess[] = [];
afterEach(() => {
  for (const hog of hogs) hog.kill('SIGKILL');
  hogs = [];
});

/** CPU time (clock ticks, user + system) a process has used, from /proc/PID/stat. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

// Training steps for about `ms` while `count` busy-loop processes take every core, then the compute
// thread's settings as the last step saw them. The steps start once every hog is really spinning (has used
// 0.1 s of CPU), not after a guessed delay.
async function trainBesideHogs(count: number, ms: number) {
  hogs = Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  const deadline = performance.now() + 10_000;
  while (hogs.some((h) => cpuTicks(h.pid!) < 10)) {
    if (performance.now() > deadline) throw new Error('the busy-loop processes did not start spinning within 10 s');
    await sleep(20);
  }
  const net = await createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 2, device: 'cpu' });
  const shape = [4, 3, 32, 32];
  const x = new Float32Array(4 * 3 * 32 * 32).fill(0.1);
  const y = Int32Array.from([0, 1, 0, 1]);
  const start = performance.now();
  while (performance.now() - start < ms) await net.trainStep(x, shape, y, { lr: 0.001 });
  const info = await runtimeInfo();
  await net.close();
  return info;
}

describe('compute threads', () => {
  it('adaptive (the default) drops to one thread when other processes take every core', async () => {
    setThreads('auto');
    const info = await trainBesideHogs(cores, 1500);
    expect(info.adaptiveThreads).toBe(true);
    expect(info.othersBusyCores).toBeGreaterThan(cores / 2);
    expect(info.threads).toBe(1);
  });

  it('a fixed count is kept under the same contention', async () => {
    setThreads(2);
    const info = await trainBesideHogs(cores, 800);
    expect(info.adaptiveThreads).toBe(false);
    expect(info.threads).toBe(2);
  });

  it('TTL_TORCH_THREADS accepts a number or auto, and names itself otherwise', () => {
    const cli = join(root, 'dist', 'cli', 'main.js');
    const info = (value: string) => spawnSync(process.execPath, [cli, 'info'], { encoding: 'utf8', env: { ...process.env, TTL_TORCH_THREADS: value } });
    expect(info('auto').stdout).toMatch(/threads\s+\d+ \(compute thread; follows the free cores/);
    expect(info('1').stdout).toMatch(/threads\s+1 \(compute thread; fixed\)/);
    const bad = info('two');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("TTL_TORCH_THREADS must be a whole number of threads or 'auto', got 'two'");
  });
});
