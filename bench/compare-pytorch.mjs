// The same training step timed in ttl-torch and in PyTorch (bench/pytorch_step.py), each in the layouts asked
// for, in interleaved rounds so all share the machine's noise; prints the medians and their ratios and returns them.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

/** One timed run of `steps` training steps after 5 warm-up steps: images/s. */
async function oursOnce({ model, shape, steps, memoryFormat }) {
  const net = await createModel({ model: model, numClasses: 2, device: 'cpu', memoryFormat });
  const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.random() * 2 - 1);
  const y = Int32Array.from({ length: shape[0] }, (_, i) => i % 2);
  for (let i = 0; i < 5; i++) await net.trainStep(x, shape, y, { lr: 0.001 });
  const start = performance.now();
  for (let i = 0; i < steps; i++) await net.trainStep(x, shape, y, { lr: 0.001 });
  net.dispose();
  return (shape[0] * steps) / ((performance.now() - start) / 1000);
}

function pytorchOnce({ model, shape, steps, threads, layout }) {
  const args = [join(here, 'pytorch_step.py'), model, String(shape[0]), String(shape[2]), String(steps), String(threads), layout];
  const run = spawnSync('/usr/bin/python3', args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`PyTorch reference failed (is python3-torch installed?): ${run.stderr}`);
  return Number(run.stdout.trim());
}

/**
 * Medians (images/s) of each contender over `rounds` interleaved rounds. Contenders: ttl-torch in each of
 * `ours` (memoryFormat values) and PyTorch in each of `pytorch` (layouts); the first PyTorch one is the baseline.
 */
export async function compareWithPytorch({ model, size, batch, steps, threads, rounds = 5, ours = ['auto'], pytorch = ['contiguous'] }) {
  const shape = [batch, 3, ...new Array(model.startsWith('resnet3d') ? 3 : 2).fill(size)];
  const runs = new Map([...ours.map((f) => [`ttl-torch ${f}`, []]), ...pytorch.map((l) => [`PyTorch ${l}`, []])]);
  for (let round = 0; round < rounds; round++) {
    for (const f of ours) runs.get(`ttl-torch ${f}`).push(await oursOnce({ model, shape, steps, memoryFormat: f }));
    for (const l of pytorch) runs.get(`PyTorch ${l}`).push(pytorchOnce({ model, shape, steps, threads, layout: l }));
  }
  const medians = Object.fromEntries([...runs].map(([k, v]) => [k, median(v)]));
  const baseline = pytorch.length ? medians[`PyTorch ${pytorch[0]}`] : null;
  console.log(`${model} training step, batch ${batch}, ${shape.slice(2).join('x')}, ${threads} threads, ${rounds} interleaved rounds:`);
  for (const [k, v] of runs)
    console.log(`  ${k.padEnd(28)} ${medians[k].toFixed(1).padStart(6)} img/s (${v.map((r) => r.toFixed(1)).join(', ')})` +
      (baseline ? `  ratio to PyTorch ${pytorch[0]} ${(medians[k] / baseline).toFixed(3)}` : ''));
  return { medians, runs: Object.fromEntries(runs) };
}
