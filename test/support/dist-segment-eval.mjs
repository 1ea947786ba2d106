// Child process of test/distributed.test.ts: evaluates a segmentation network (rank 0's weights) on a fixed
// synthetic split of 10 images, data-parallel over worldSize ranks; prints the per-image scores as JSON.
// argv: rank worldSize port
import { createModel } from '../../dist/index.js';
import { evaluateSegmentation } from '../../dist/train/index.js';
import { KeyStore, ProcessGroup, makeDataParallel } from '../../dist/parallel/index.js';
import { toNativeSegmentationStore } from '../../dist/data/segmentation.js';

const [rank, worldSize, port] = process.argv.slice(2, 5).map(Number);
const n = 10, side = 32;
const images = Uint8Array.from({ length: n * side * side }, (_, i) => (Math.sin(i * 0.37) * 0.5 + 0.5) * 255);
const masks = Uint8Array.from(images, (v) => (v > 140 ? 1 : 0));
const store = toNativeSegmentationStore({ images, shape: [n, side, side], masks }, 'gray');
const model = await createModel({ model: 'resnet18', cutoff: 3, head: 'unet', numClasses: 2, seed: 7 + rank, device: 'cpu' });
let keys;
if (worldSize > 1) {
  keys = await KeyStore.open({ host: '127.0.0.1', port, isServer: rank === 0, timeoutMs: 30_000 });
  const group = await ProcessGroup.join(keys, { name: 'segment-test', rank, worldSize, hostname: '127.0.0.1', timeoutMs: 30_000 });
  await makeDataParallel(model, group);
}
const pipeline = { size: side, channels: 3, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
const metrics = await evaluateSegmentation(model, store, pipeline, 4);
process.stdout.write(JSON.stringify({ dice: metrics.perImage.dice, jaccard: metrics.perImage.jaccard, loss: metrics.loss }) + '\n');
model.dispose();
keys?.close();
