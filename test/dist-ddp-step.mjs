// Child process of test/distributed.test.ts: one SGD step of squeezenet1_1 (no batch norm, no dropout) on
// this rank's shard of a fixed global batch; prints the parameters after the step as JSON (base64 float32).
// argv: rank worldSize port globalBatch
import { createModel, KeyStore, ProcessGroup, makeDataParallel } from '../dist/index.js';

const [rank, worldSize, port, globalBatch] = process.argv.slice(2).map(Number);
const size = 32;
const per = 3 * size * size;
// The same global batch on every rank (a fixed pseudo-random sequence); rank r takes rows [r*b, (r+1)*b).
const all = new Float32Array(globalBatch * per).map((_, i) => Math.sin(i * 12.9898) * 0.5);
const labels = Int32Array.from({ length: globalBatch }, (_, i) => i % 2);
const b = globalBatch / worldSize;
// Different seeds per rank: the broadcast from rank 0 must make the initial weights equal.
const model = await createModel({ name: 'squeezenet1_1', cutoff: 6, head: 'linear', numClasses: 2, seed: 7 + rank, device: 'cpu' });
let store;
if (worldSize > 1) {
  store = await KeyStore.open({ host: '127.0.0.1', port, isServer: rank === 0, timeoutMs: 30_000 });
  const group = await ProcessGroup.join(store, { name: 'ddp-test', rank, worldSize, hostname: '127.0.0.1', timeoutMs: 30_000 });
  await makeDataParallel(model, group);
}
const shard = all.slice(rank * b * per, (rank + 1) * b * per);
const loss = await model.trainStep(shard, [b, 3, size, size], labels.slice(rank * b, (rank + 1) * b), { lr: 0.05, momentum: 0 });
const state = await model.state();
const out = {};
for (const [name, t] of state) if (t.dtype === 'F32') out[name] = Buffer.from(t.data).toString('base64');
process.stdout.write(JSON.stringify({ loss, params: out }) + '\n');
model.dispose();
store?.close();
