// npm run bench -- quality [--sets pneumoniamnist,breastmnist] [--seeds 0,1,2] [--epochs 10] [--size 64] [--threads 2]
//                          [--pytorch-lrs 0.01,0.001] [--out bench/results/quality.json]
// Test AUROC of ttl-torch's FTL (finetune() with run's defaults: SGD 0.01, weight decay 1e-4, cosine with 5% warm-up,
// clipping, full batches, the default augmentation) against the recipe a PyTorch user would reach for
// (bench/quality_pytorch.py: torchvision's SqueezeNet 1.1, the same weights, epochs, size, batch, augmentation and
// optimiser), per set and seed, best-validation epoch; written to bench/results/quality.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { finetune } from '../dist/index.js';
import { setThreads } from '../dist/runtime.js';
import { readMedMNIST } from '../dist/data/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: 'pneumoniamnist,breastmnist' }, seeds: { type: 'string', default: '0,1,2' },
    epochs: { type: 'string', default: '10' }, size: { type: 'string', default: '64' }, threads: { type: 'string', default: '2' },
    'pytorch-lrs': { type: 'string', default: '0.01,0.001' }, out: { type: 'string', default: join(here, 'results', 'quality.json') },
    venv: { type: 'string', default: join(root, '.venv') }, shared: { type: 'string', default: resolve(root, '..', 'shared') },
  },
});
const [epochs, size, threads] = [values.epochs, values.size, values.threads].map(Number);
const weights = join(values.shared, 'weights', 'squeezenet1_1-imagenet.safetensors');
setThreads(threads);
const rows = [];
for (const set of values.sets.split(',')) {
  const npz = join(values.shared, 'data', set, `${set}.npz`);
  for (const seed of values.seeds.split(',').map(Number)) {
    const ours = await finetune({
      model: 'squeezenet1_1', weights: 'imagenet', strategy: { kind: 'ftl' }, data: readMedMNIST(npz), imageSize: size, epochs,
      batchSize: 32, weightDecay: 1e-4, device: 'cpu', seed, resolve: { mirror: values.shared, offline: true },
    });
    const pytorch = {};
    for (const lr of values['pytorch-lrs'].split(',')) {
      const r = spawnSync(join(values.venv, 'bin', 'python'), [join(here, 'quality_pytorch.py'), npz, weights, ...[epochs, size, 32, seed, threads, lr].map(String)], { encoding: 'utf8', cwd: here });
      if (r.status !== 0) throw new Error(`quality_pytorch.py failed: ${r.stderr.slice(-2000)}`);
      const torch = JSON.parse(r.stdout.trim().split('\n').pop());
      pytorch[lr] = { testAuroc: torch.testAuroc, bestEpoch: torch.bestEpoch };
    }
    const row = { set, seed, ttlTorch: ours.test.auroc, ttlTorchBestEpoch: ours.bestEpoch, pytorch };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const summary = Object.fromEntries(values.sets.split(',').map((set) => {
  const r = rows.filter((x) => x.set === set);
  const pytorch = Object.fromEntries(values['pytorch-lrs'].split(',').map((lr) => [lr, mean(r.map((x) => x.pytorch[lr].testAuroc))]));
  return [set, { ttlTorch: mean(r.map((x) => x.ttlTorch)), pytorch }];
}));
for (const [set, s] of Object.entries(summary))
  console.log(`${set}: mean test AUROC ttl-torch ${s.ttlTorch.toFixed(4)}; PyTorch + torchvision ${Object.entries(s.pytorch).map(([lr, v]) => `LR ${lr} ${v.toFixed(4)}`).join(', ')}`);
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify({ epochs, size, threads, date: new Date().toISOString(), rows, summary }, null, 2) + '\n');
