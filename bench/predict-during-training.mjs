// Batch-1 forward latency on one model, idle and while finetune() trains another model.
// Usage: node bench/predict-during-training.mjs [ttl-torch checkout, default this one]
// (the checkout needs dist/ and its built addon; run it on main for the "before" numbers).
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(process.argv[2] ?? join(import.meta.dirname, '..'));
const shared = resolve(import.meta.dirname, '..', '..', 'shared');
const ttl = { ...(await import(pathToFileURL(join(root, 'dist', 'index.js')).href)), ...(await import(pathToFileURL(join(root, 'dist', 'data', 'index.js')).href)) };
const size = Number(process.env.SIZE ?? 64);
const data = ttl.readMedMNIST(join(shared, 'data', 'breastmnist', 'breastmnist.npz'));
const server = await ttl.createModel({ model: 'squeezenet1_1', cutoff: 4, numClasses: 2, device: 'cpu' });
const input = new Float32Array(3 * size * size).fill(0.1);
const once = async () => {
  const t = performance.now();
  await server.forward(input, [1, 3, size, size]);
  return performance.now() - t;
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
for (let i = 0; i < 5; i++) await once();
const idle = [];
for (let i = 0; i < 20; i++) idle.push(await once());

const controller = new AbortController();
const batchTimes = [];
let last = 0;
let started;
const firstBatch = new Promise((r) => (started = r));
const training = ttl.finetune({
  model: 'squeezenet1_1', strategy: { kind: 'ttl', cutoff: 4 }, data, imageSize: size, epochs: 20, batchSize: 32, device: 'cpu',
  signal: controller.signal,
  onProgress: (e) => {
    if (e.type !== 'batch') return;
    const now = performance.now();
    if (last) batchTimes.push(now - last);
    last = now;
    started();
  },
}).catch((e) => e);
await firstBatch;
const busy = [];
for (let i = 0; i < 20; i++) busy.push(await once());
const abortAt = performance.now();
controller.abort();
const outcome = await training;
const abortMs = performance.now() - abortAt;
console.log(JSON.stringify({
  root, size, idleMedianMs: +median(idle).toFixed(2), busyMedianMs: +median(busy).toFixed(2), busyMaxMs: +Math.max(...busy).toFixed(2),
  batchMedianMs: +median(batchTimes).toFixed(2), abortMs: +abortMs.toFixed(1), outcome: outcome?.code ?? 'finished',
}));
server.dispose();
