// npm run bench -- finetune [--epochs 10] [--size 64] [--compare-pytorch]
// FTL and TTL at each block cutoff of SqueezeNet 1.1 (real ImageNet weights) on PneumoniaMNIST; test
// AUROC/AUPRC/accuracy, wall time and images/s. --compare-pytorch times the identical training step in
// PyTorch (Debian python3-torch) and prints ours / PyTorch, measured side by side in this run. --amp
// trains FTL in float32 and with bf16 autocast, interleaved, and prints the speed-up and both AUROCs.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createModel, finetune, getModelCard, runtimeInfo } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '..', '..', 'shared');
const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    size: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.003' },
    'compare-pytorch': { type: 'boolean', default: false },
    amp: { type: 'boolean', default: false },
    data: { type: 'string', default: join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz') },
  },
});
const epochs = Number(values.epochs);
const size = Number(values.size);
const info = await runtimeInfo();
console.log(`LibTorch ${info.libtorch}, ${info.defaultDevice}, ${info.threads} threads; squeezenet1_1 ImageNet weights; ${values.data}; ${size}px, ${epochs} epochs`);

const card = getModelCard('squeezenet1_1');
const trials = [{ kind: 'ftl' }, ...card.blocks.slice(0, -1).map((k) => ({ kind: 'ttl', k }))];
const rows = [];
for (const strategy of trials) {
  const start = performance.now();
  const r = await finetune({
    model: 'squeezenet1_1', weights: 'imagenet', strategy, data: values.data, imageSize: size, epochs, batchSize: 64,
    lr: Number(values.lr), weightDecay: 1e-4, warmupEpochs: 1, device: 'auto', resolve: { mirror: shared },
  });
  const wall = (performance.now() - start) / 1000;
  rows.push({ method: r.strategy, auroc: r.test.auroc, auprc: r.test.auprc, acc: r.test.accuracy, params: r.params, macs: r.macs, wall, ips: r.imagesPerSecond, best: r.bestEpoch });
  console.log(`${r.strategy.padEnd(10)} test AUROC ${r.test.auroc.toFixed(4)}  AUPRC ${r.test.auprc.toFixed(4)}  ACC ${r.test.accuracy.toFixed(4)}  ` +
    `P ${(r.params / 1e6).toFixed(3)}M  MACs ${(r.macs / 1e9).toFixed(4)}G  wall ${wall.toFixed(1)}s  ${r.imagesPerSecond.toFixed(0)} img/s  best epoch ${r.bestEpoch}`);
}

if (values.amp) {
  const runs = { fp32: [], bf16: [] };
  for (const autocast of [undefined, 'bf16', undefined, 'bf16']) {
    const r = await finetune({
      model: 'squeezenet1_1', weights: 'imagenet', strategy: { kind: 'ftl' }, data: values.data, imageSize: size, epochs, batchSize: 64,
      lr: Number(values.lr), weightDecay: 1e-4, warmupEpochs: 1, device: 'auto', autocast, resolve: { mirror: shared },
    });
    runs[autocast ?? 'fp32'].push(r);
  }
  const mean = (rs, f) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
  const speed = mean(runs.bf16, (r) => r.imagesPerSecond) / mean(runs.fp32, (r) => r.imagesPerSecond);
  console.log(`bf16 autocast: ${mean(runs.bf16, (r) => r.imagesPerSecond).toFixed(0)} img/s vs float32 ${mean(runs.fp32, (r) => r.imagesPerSecond).toFixed(0)} img/s ` +
    `(x${speed.toFixed(2)}); test AUROC bf16 ${runs.bf16.map((r) => r.test.auroc.toFixed(4)).join('/')} vs float32 ${runs.fp32.map((r) => r.test.auroc.toFixed(4)).join('/')}`);
}

if (values['compare-pytorch']) {
  const batch = 64;
  const steps = 30;
  const ours = async () => {
    const model = await createModel({ name: 'squeezenet1_1', numClasses: 2, device: 'cpu' });
    const x = Float32Array.from({ length: batch * 3 * size * size }, () => Math.random() * 2 - 1);
    const y = Int32Array.from({ length: batch }, (_, i) => i % 2);
    for (let i = 0; i < 5; i++) await model.trainStep(x, [batch, 3, size, size], y, { lr: 0.001 });
    const start = performance.now();
    for (let i = 0; i < steps; i++) await model.trainStep(x, [batch, 3, size, size], y, { lr: 0.001 });
    model.dispose();
    return (batch * steps) / ((performance.now() - start) / 1000);
  };
  const pytorch = () => {
    const run = spawnSync('/usr/bin/python3', [join(here, 'pytorch_step.py'), String(batch), String(size), String(steps), String(info.threads)], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`PyTorch reference failed (is python3-torch installed?): ${run.stderr}`);
    return Number(run.stdout.trim());
  };
  // Interleave rounds so both share the machine's noise; report medians.
  const oursRuns = [];
  const torchRuns = [];
  for (let round = 0; round < 5; round++) {
    oursRuns.push(await ours());
    torchRuns.push(pytorch());
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const [o, p] = [median(oursRuns), median(torchRuns)];
  const list = (a) => a.map((v) => v.toFixed(0)).join(', ');
  console.log(`training step, batch ${batch}, ${size}px, ${info.threads} threads: ttl-torch ${o.toFixed(0)} img/s (${list(oursRuns)}), ` +
    `PyTorch ${p.toFixed(0)} img/s (${list(torchRuns)}); ratio of medians ours/PyTorch = ${(o / p).toFixed(3)}`);
}
