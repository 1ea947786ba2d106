// Child process of test/distributed.test.ts: one SGD step on this rank's shard of a fixed global batch, in
// training mode; prints the loss and the whole state (parameters and batch norm buffers) after the step as JSON.
// argv: rank worldSize port globalBatch model syncBatchNorm(0|1) overlap(0|1) lr
//   squeezenet1_1: no batch norm, no dropout; resnet18 / resnet3d_18: 2D / 3D batch norms.
import { createModel } from '../../dist/index.js';
import { KeyStore, ProcessGroup, makeDataParallel } from '../../dist/parallel/index.js';

const [rank, worldSize, port, globalBatch] = process.argv.slice(2, 6).map(Number);
const name = process.argv[6];
const syncBatchNorm = process.argv[7] === '1';
const overlap = process.argv[8] === '1';
const lr = Number(process.argv[9]);
const volumetric = name.includes('3d');
const sample = volumetric ? [3, 8, 16, 16] : [3, 32, 32];
const per = sample.reduce((a, b) => a * b, 1);
// The same global batch on every rank (a fixed pseudo-random sequence); rank r takes rows [r*b, (r+1)*b).
const all = new Float32Array(globalBatch * per).map((_, i) => Math.sin(i * 12.9898) * 0.5 + 0.1);
const labels = Int32Array.from({ length: globalBatch }, (_, i) => i % 2);
const b = globalBatch / worldSize;
// Different seeds per rank: the broadcast from rank 0 must make the initial weights (and buffers) equal.
const cutoff = name === 'squeezenet1_1' ? 6 : 4;
const model = await createModel({ model: name, cutoff, head: 'linear', numClasses: 2, seed: 7 + rank, device: 'cpu' });
let store;
if (worldSize > 1) {
  store = await KeyStore.open({ host: '127.0.0.1', port, isServer: rank === 0, timeoutMs: 30_000 });
  const group = await ProcessGroup.join(store, { name: 'ddp-test', rank, worldSize, hostname: '127.0.0.1', timeoutMs: 30_000 });
  await makeDataParallel(model, group, { syncBatchNorm, overlap });
}
const shard = all.slice(rank * b * per, (rank + 1) * b * per);
const loss = await model.trainStep(shard, [b, ...sample], labels.slice(rank * b, (rank + 1) * b), { lr, momentum: 0 });
const state = await model.state();
const out = {};
for (const [key, t] of state) out[key] = { dtype: t.dtype, data: Buffer.from(t.data).toString('base64') };
process.stdout.write(JSON.stringify({ loss, state: out }) + '\n');
model.dispose();
store?.close();
