// One ttl-torch contestant of `npm run bench -- peers`, in its own process so that the addon TTL_TORCH_BUILD_DIR
// selects (LibTorch 1.13 or 2.15) is the one measured: times one thing and prints it as one JSON line.
// usage: node bench/peers-ttl.mjs step PRECISION BATCH SIZE STEPS THREADS
//        node bench/peers-ttl.mjs infer K SIZE THREADS WARMUP RUNS
//        node bench/peers-ttl.mjs epoch NPZ SHARED SIZE BATCH THREADS
// The same work as bench/peers_pytorch.py: ResNet-50 (k = 17, 2 classes) SGD steps on one random batch; the
// serving copy (optimizeForInference) at batch 1; one FTL epoch of SqueezeNet 1.1 from the shared ImageNet weights.
import { createModel, finetune, runtimeInfo } from '../dist/index.js';
import { setThreads } from '../dist/runtime.js';
import { readMedMNIST } from '../dist/data/index.js';

const [what, ...args] = process.argv.slice(2);
const say = async (values) => console.log(JSON.stringify({ libtorch: (await runtimeInfo()).libtorch, ...values }));
const random = (n) => Float32Array.from({ length: n }, () => Math.random() * 2 - 1);

if (what === 'step') {
  const [precision, batch, size, steps, threads] = [args[0], ...args.slice(1).map(Number)];
  const net = await createModel({ model: 'resnet50', numClasses: 2, device: 'cpu', threads });
  const shape = [batch, 3, size, size];
  const [x, y] = [random(batch * 3 * size * size), Int32Array.from({ length: batch }, (_, i) => i % 2)];
  const options = { lr: 0.001, ...(precision === 'bf16' ? { autocast: 'bf16' } : {}) };
  let start = performance.now();
  await net.trainStep(x, shape, y, options);
  const first = (performance.now() - start) / 1000;
  for (let i = 0; i < 2; i++) await net.trainStep(x, shape, y, options);
  start = performance.now();
  for (let i = 0; i < steps; i++) await net.trainStep(x, shape, y, options);
  const seconds = (performance.now() - start) / 1000;
  await net.close();
  await say({ imagesPerSecond: (batch * steps) / seconds, firstStepSeconds: first });
} else if (what === 'infer') {
  const [k, size, threads, warmup, runs] = args.map(Number);
  const net = await createModel({ model: 'resnet50', cutoff: k, numClasses: 2, device: 'cpu', threads });
  const start = performance.now();
  const copy = await net.optimizeForInference([3, size, size]);
  const prepare = (performance.now() - start) / 1000;
  const { medianMs } = await net.latency([3, size, size], { warmup, runs });
  await net.close();
  await say({ medianMs, prepareSeconds: prepare, layout: copy?.layout, foldedNorms: copy?.foldedNorms });
} else if (what === 'epoch') {
  const [npz, shared, size, batch, threads] = [args[0], args[1], ...args.slice(2).map(Number)];
  setThreads(threads);
  const r = await finetune({
    model: 'squeezenet1_1', weights: 'imagenet', strategy: { kind: 'ftl' }, data: readMedMNIST(npz), imageSize: size, epochs: 1,
    batchSize: batch, lr: 0.01, weightDecay: 1e-4, device: 'cpu', seed: 0, resolve: { mirror: shared, offline: true },
  });
  await say({ imagesPerSecond: r.imagesPerSecond });
} else {
  console.error(`unknown measurement ${what}`);
  process.exit(2);
}
