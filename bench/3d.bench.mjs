// npm run bench -- 3d [--sizes 28,64] [--epochs 8] [--model resnet3d_18] [--out runs/bench-3d] [--compare-pytorch]
// FTL vs TTL at every block boundary on AdrenalMNIST3D (28^3 and 64^3 volumes) through `ttl-torch run`'s own
// engine (executeRun): test AUROC / ACC (mean over --repeats), parameters, MACs, training time and latency.
// No 3D ImageNet/Kinetics weights are available offline here, so every network trains from random init:
// the comparison is between the full network and its truncations, as in the paper's FTL vs TTL rows.
// --compare-pytorch only times resnet3d_18's training step (batch 8, 28^3) against PyTorch, and trains nothing.
import { join, resolve } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runtimeInfo } from '../dist/index.js';
import { checkConfig, executeRun } from '../dist/run/index.js';
import { readFileSync } from 'node:fs';
import { compareWithPytorch } from './compare-pytorch.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const shared = resolve(here, '..', '..', 'shared');
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '28,64' },
    epochs: { type: 'string', default: '8' },
    model: { type: 'string', default: 'resnet3d_18' },
    repeats: { type: 'string', default: '1' },
    lr: { type: 'string', default: '0.01' },
    'batch-size': { type: 'string', default: '32' },
    out: { type: 'string', default: 'runs/bench-3d' },
    'compare-pytorch': { type: 'boolean', default: false },
  },
});
const info = await runtimeInfo();
console.log(`LibTorch ${info.libtorch}, ${info.defaultDevice}, ${info.threads} threads; ${values.model} from random init; ${values.epochs} epochs`);
if (values['compare-pytorch']) {
  await compareWithPytorch({ model: 'resnet3d_18', size: 28, batch: 8, steps: 10, threads: info.threads });
  process.exit(0);
}
const published = { 28: 'ResNet-18 (3D) 0.827 / ResNet-50 (3D) 0.828 AUROC', 64: 'ResNet-18 (3D) 0.863 / ResNet-50 (3D) 0.848 AUROC (MedMNIST v2, 64^3 from MedMNIST+)' };
for (const size of values.sizes.split(',').map(Number)) {
  const file = size === 28 ? 'adrenalmnist3d.npz' : `adrenalmnist3d_${size}.npz`;
  const config = checkConfig({
    data: join(shared, 'data', 'adrenalmnist3d', file), model: values.model, weights: null, strategies: ['ftl', 'ttl'], search: 'block',
    repeats: Number(values.repeats), epochs: Number(values.epochs), imageSize: size, batchSize: Number(values['batch-size']), lr: Number(values.lr),
    weightDecay: 1e-4, warmup: 0.1, augment: true, device: 'auto', out: resolve(`${values.out}-${size}`),
  });
  const start = performance.now();
  const results = await executeRun(config, { log: (line) => console.log(`  ${line}`) });
  const trials = readFileSync(join(config.out, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.type === 'trial' && r.status === 'ok');
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(`\nAdrenalMNIST3D ${size}^3 (${((performance.now() - start) / 60000).toFixed(1)} min); published baselines: ${published[size] ?? '-'}`);
  console.log('| Method | test AUROC | test ACC | P(M) | MACs(G) | train s/epoch | T(ms) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of [...results.rows.filter((r) => r.method === 'FTL'), ...results.cutoffRows]) {
    const own = trials.filter((t) => t.strategy === row.strategy && t.cutoff === row.cutoff);
    const seconds = mean(own.map((t) => t.trainSeconds / config.epochs));
    console.log(`| ${row.method} | ${row.test.auroc.mean.toFixed(4)} | ${mean(own.map((x) => x.test.accuracy)).toFixed(4)} | ${row.paramsM.toFixed(3)} | ${row.macsG.toFixed(3)} | ${seconds.toFixed(1)} | ${row.latencyMs === null ? '-' : row.latencyMs.toFixed(2)} |`);
  }
}
