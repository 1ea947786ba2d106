// The ttl-torch contestant of `npm run bench -- families`, in its own process so that the addon TTL_TORCH_BUILD_DIR
// selects (LibTorch 1.13 or 2.15) is the one measured; the same work as bench/families_pytorch.py.
// usage: node bench/families-ttl.mjs step MODEL K BATCH SIZE STEPS THREADS
//        node bench/families-ttl.mjs infer MODEL K SIZE THREADS WARMUP RUNS
import { createModel, runtimeInfo } from '../dist/index.js';

const [what, model, ...numbers] = process.argv.slice(2);
const args = numbers.map(Number);
const say = async (values) => console.log(JSON.stringify({ libtorch: (await runtimeInfo()).libtorch, ...values }));
const random = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

if (what === 'step') {
  const [k, batch, size, steps, threads] = args;
  const net = await createModel({ model, cutoff: k, numClasses: 2, device: 'cpu', threads });
  const shape = [batch, 3, size, size];
  const [x, y] = [random(batch * 3 * size * size), Int32Array.from({ length: batch }, (_, i) => i % 2)];
  for (let i = 0; i < 3; i++) await net.trainStep(x, shape, y, { lr: 0.001 });
  const start = performance.now();
  for (let i = 0; i < steps; i++) await net.trainStep(x, shape, y, { lr: 0.001 });
  const seconds = (performance.now() - start) / 1000;
  await net.close();
  await say({ imagesPerSecond: (batch * steps) / seconds });
} else if (what === 'infer') {
  const [k, size, threads, warmup, runs] = args;
  const net = await createModel({ model, cutoff: k, numClasses: 2, device: 'cpu', threads });
  const copy = await net.optimizeForInference([3, size, size]);
  const { medianMs } = await net.latency([3, size, size], { warmup, runs });
  await net.close();
  await say({ medianMs, layout: copy?.layout });
} else {
  console.error(`unknown measurement ${what}`);
  process.exit(2);
}
