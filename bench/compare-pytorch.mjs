// The same training step timed in ttl-torch and in PyTorch (bench/pytorch_step.py), in interleaved rounds so both
// share the machine's noise; prints the medians and their ratio.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createModel } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));

export async function compareWithPytorch({ model, size, batch, steps, threads, rounds = 5 }) {
  const shape = [batch, 3, ...new Array(model === 'resnet3d_18' ? 3 : 2).fill(size)];
  const ours = async () => {
    const net = await createModel({ name: model, numClasses: 2, device: 'cpu' });
    const x = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => Math.random() * 2 - 1);
    const y = Int32Array.from({ length: batch }, (_, i) => i % 2);
    for (let i = 0; i < 5; i++) await net.trainStep(x, shape, y, { lr: 0.001 });
    const start = performance.now();
    for (let i = 0; i < steps; i++) await net.trainStep(x, shape, y, { lr: 0.001 });
    net.dispose();
    return (batch * steps) / ((performance.now() - start) / 1000);
  };
  const pytorch = () => {
    const run = spawnSync('/usr/bin/python3', [join(here, 'pytorch_step.py'), model, String(batch), String(size), String(steps), String(threads)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`PyTorch reference failed (is python3-torch installed?): ${run.stderr}`);
    return Number(run.stdout.trim());
  };
  const oursRuns = [];
  const torchRuns = [];
  for (let round = 0; round < rounds; round++) {
    oursRuns.push(await ours());
    torchRuns.push(pytorch());
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const [o, p] = [median(oursRuns), median(torchRuns)];
  const list = (a) => a.map((v) => v.toFixed(1)).join(', ');
  console.log(`${model} training step, batch ${batch}, ${shape.slice(2).join('x')}, ${threads} threads: ttl-torch ${o.toFixed(1)} img/s (${list(oursRuns)}), ` +
    `PyTorch ${p.toFixed(1)} img/s (${list(torchRuns)}); ratio of medians ours/PyTorch = ${(o / p).toFixed(3)}`);
}
