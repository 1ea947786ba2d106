// npm run bench -- finetune [--epochs 10] [--size 64] [--compare-pytorch]
// FTL and TTL at each block cutoff of SqueezeNet 1.1 (real ImageNet weights) on PneumoniaMNIST; test
// AUROC/AUPRC/accuracy, wall time and images/s. --compare-pytorch times the identical training step in
// PyTorch (Debian python3-torch) and prints ours / PyTorch, measured side by side in this run. --amp
// trains FTL in float32 and with bf16 autocast, interleaved, and prints the speed-up and both AUROCs.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { finetune, getModelCard, runtimeInfo } from '../dist/index.js';
import { compareWithPytorch } from './compare-pytorch.mjs';

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
const trials = [{ kind: 'ftl' }, ...card.blocks.slice(0, -1).map((k) => ({ kind: 'ttl', cutoff: k }))];
const rows = [];
for (const strategy of trials) {
  const start = performance.now();
  const r = await finetune({
    model: 'squeezenet1_1', weights: 'imagenet', strategy, data: values.data, imageSize: size, epochs, batchSize: 64,
    lr: Number(values.lr), weightDecay: 1e-4, warmup: 0.1, device: 'auto', resolve: { mirror: shared },
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
      lr: Number(values.lr), weightDecay: 1e-4, warmup: 0.1, device: 'auto', autocast, resolve: { mirror: shared },
    });
    runs[autocast ?? 'fp32'].push(r);
  }
  const mean = (rs, f) => rs.reduce((a, r) => a + f(r), 0) / rs.length;
  const speed = mean(runs.bf16, (r) => r.imagesPerSecond) / mean(runs.fp32, (r) => r.imagesPerSecond);
  console.log(`bf16 autocast: ${mean(runs.bf16, (r) => r.imagesPerSecond).toFixed(0)} img/s vs float32 ${mean(runs.fp32, (r) => r.imagesPerSecond).toFixed(0)} img/s ` +
    `(x${speed.toFixed(2)}); test AUROC bf16 ${runs.bf16.map((r) => r.test.auroc.toFixed(4)).join('/')} vs float32 ${runs.fp32.map((r) => r.test.auroc.toFixed(4)).join('/')}`);
}

if (values['compare-pytorch']) await compareWithPytorch({ model: 'squeezenet1_1', size, batch: 64, steps: 30, threads: info.threads });
