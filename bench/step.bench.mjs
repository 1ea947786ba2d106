// npm run bench -- step [--images 512] [--size 64] [--batch 32] [--repeats 3] [--shared ../shared]
// Training throughput through the whole native path (C++ batch pipeline with augmentation, forward, backward,
// SGD step): SqueezeNet 1.1 with ImageNet weights, one epoch over a PneumoniaMNIST slice, img/s per repeat and
// the median. Used to check that compiler flags (-O2 vs -O3) do not cost run-time speed: run it once per
// build, alternating, on an otherwise idle machine.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { finetune, readMedMNIST, runtimeInfo } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    shared: { type: 'string', default: resolve(here, '..', '..', 'shared') },
    images: { type: 'string', default: '512' },
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '32' },
    repeats: { type: 'string', default: '3' },
  },
});
const shared = values.shared;
const data = readMedMNIST(join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz'));
const take = (s, n) => {
  const pixels = s.shape.slice(1).reduce((a, b) => a * b, 1);
  return { images: s.images.slice(0, n * pixels), shape: [n, ...s.shape.slice(1)], labels: s.labels.slice(0, n) };
};
const subset = { ...data, train: take(data.train, Number(values.images)), val: take(data.val, 32), test: take(data.test, 32) };
const info = await runtimeInfo();
const rates = [];
for (let i = 0; i < Number(values.repeats); i++) {
  const r = await finetune({
    model: 'squeezenet1_1', weights: 'imagenet', strategy: { kind: 'ftl' }, data: subset, imageSize: Number(values.size), epochs: 1,
    batchSize: Number(values.batch), lr: 0.001, device: 'cpu', seed: i, resolve: { mirror: shared, offline: true },
  });
  rates.push(r.imagesPerSecond);
}
const median = [...rates].sort((a, b) => a - b)[Math.floor(rates.length / 2)];
console.log(`${info.addon}: ${rates.map((r) => r.toFixed(1)).join(', ')} img/s, median ${median.toFixed(1)} (${info.threads} threads)`);
