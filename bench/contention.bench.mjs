// Training throughput under CPU contention: img/s of a training step alone and beside one competing CPU-bound
// process (a busy loop), for ttl-torch at fixed thread counts and with its default (adaptive: the cores other
// processes leave free, re-measured before each task; OMP_WAIT_POLICY=PASSIVE), and for PyTorch eager
// (bench/pytorch_step.py) with libgomp's default spin-waiting and with PASSIVE, at the same fixed thread counts,
// in interleaved rounds. Prints medians, contended/solo ratios, and whether contended stays above 1-thread solo.
// Options: --model resnet50 --batch 16 --size 128 --steps 4 --threads 1,2 --rounds 2
//          --impls ours,ours-auto,pytorch,pytorch-passive
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createModel, runtimeInfo } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const startEnv = { ...process.env };
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet50' }, batch: { type: 'string', default: '16' }, size: { type: 'string', default: '128' },
    steps: { type: 'string', default: '4' }, threads: { type: 'string', default: '1,2' }, rounds: { type: 'string', default: '2' },
    impls: { type: 'string', default: 'ours,ours-auto,pytorch,pytorch-passive' },
  },
});
const [batch, size, steps, rounds] = [values.batch, values.size, values.steps, values.rounds].map(Number);
const threadCounts = values.threads.split(',').map(Number);
const impls = values.impls.split(',');
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const shape = [batch, 3, size, size];

// threads 'auto': the process-wide adaptive default; the count it chose for the last step is recorded.
const chosen = { solo: [], contended: [] };
async function ours(threads, phase) {
  const net = await createModel({ model: values.model, numClasses: 2, device: 'cpu', threads: threads === 'auto' ? undefined : threads });
  const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.random() * 2 - 1);
  const y = Int32Array.from({ length: batch }, (_, i) => i % 2);
  for (let i = 0; i < 2; i++) await net.trainStep(x, shape, y, { lr: 0.001 });
  const start = performance.now();
  for (let i = 0; i < steps; i++) await net.trainStep(x, shape, y, { lr: 0.001 });
  if (threads === 'auto') {
    const info = await runtimeInfo();
    chosen[phase].push(`${info.threads} (others ${info.othersBusyCores.toFixed(1)} cores)`);
  }
  await net.close();
  return (batch * steps) / ((performance.now() - start) / 1000);
}

function pytorch(threads, env) {
  const run = spawnSync('/usr/bin/python3', [join(here, 'pytorch_step.py'), values.model, String(batch), String(size), String(steps), String(threads)], { encoding: 'utf8', env });
  if (run.status !== 0) throw new Error(`PyTorch reference failed (is python3-torch installed?): ${run.stderr}`);
  return Number(run.stdout.trim());
}

const measure = {
  ours,
  'ours-auto': ours,
  pytorch: async (threads) => pytorch(threads, (({ OMP_WAIT_POLICY, ...rest }) => rest)(startEnv)),
  'pytorch-passive': async (threads) => pytorch(threads, { ...startEnv, OMP_WAIT_POLICY: 'PASSIVE' }),
};

async function contended(work) {
  const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  await sleep(300);
  try {
    return await work();
  } finally {
    hog.kill();
  }
}

const countsOf = (impl) => (impl === 'ours-auto' ? ['auto'] : threadCounts);
const results = {};
for (let round = 0; round < rounds; round++) {
  for (const impl of impls) {
    for (const threads of countsOf(impl)) {
      const r = (results[`${impl}/${threads}`] ??= { solo: [], contended: [] });
      r.solo.push(await measure[impl](threads, 'solo'));
      r.contended.push(await contended(() => measure[impl](threads, 'contended')));
    }
  }
}
const list = (a) => a.map((v) => v.toFixed(1)).join(', ');
console.log(`${values.model} training step, batch ${batch}, ${size}x${size}, ${steps} timed steps after 2, ${rounds} interleaved rounds; ` +
  `contended = beside one busy-loop process`);
for (const impl of impls) {
  const fixed = impl === 'ours-auto' ? 'ours' : impl;
  const oneSolo = results[`${fixed}/1`] ? median(results[`${fixed}/1`].solo) : undefined;
  for (const threads of countsOf(impl)) {
    const r = results[`${impl}/${threads}`];
    const [solo, busy] = [median(r.solo), median(r.contended)];
    const floor = oneSolo === undefined ? '' : `; ${busy >= oneSolo ? '>=' : '<'} 1-thread solo (${oneSolo.toFixed(1)})`;
    const label = threads === 'auto' ? `auto, chose ${chosen.solo.join(' / ')} solo, ${chosen.contended.join(' / ')} contended;` : `${threads} thread(s)`;
    console.log(`${impl.padEnd(15)} ${label}: solo ${solo.toFixed(1)} img/s (${list(r.solo)}), contended ${busy.toFixed(1)} img/s ` +
      `(${list(r.contended)}); contended/solo = ${(busy / solo).toFixed(2)}${floor}`);
  }
}
