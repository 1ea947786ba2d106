// int8 serving (issue #26): ResNet-50 cut at k + linear head.
// Latency: the int8 copy (Model.quantizeForInference, with every quantized engine this LibTorch has) against the
// float serving copy (optimizeForInference), batch 1, 224 px, warm, in interleaved rounds; medians and ratios.
// Accuracy: on the shared BreastMNIST and PneumoniaMNIST test sets, the int8 predictor (loadPredictor precision
// 'int8', the engine it picks, calibrated on the first --calibration training images) against the float one: test
// AUROC of both and the share of identical labels. The networks are trained here, from scratch (../shared has no
// ResNet-50 ImageNet weights), at --train-size px for --epochs epochs on at most --train-limit training images:
// models of modest quality, but real trained weights and activations, which is what quantization error depends on.
// Writes bench/results/int8.json, one entry per LibTorch (run it on both builds: TTL_TORCH_BUILD_DIR=build-pip).
// Options: --ks 17,14,12 --threads 2 --size 224 --rounds 3 --runs 30 --warmup 10 --epochs 3 --train-size 64
//          --train-limit 1000 --calibration 256 --sets breastmnist,pneumoniamnist --skip-accuracy
//          --engines onednn,x86 (default: every quantized engine this LibTorch has)
// --skip-accuracy / --skip-latency measure one part only and keep the other's rows from the run that measured them.
// --compare-fx also quantizes each trained checkpoint with PyTorch's FX graph mode (bench/int8_fx.py, .venv's
// PyTorch 2.x, its default x86 qconfig) on the same calibration and test images: the method's error on these weights.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createModel, finetune, loadPredictor, runtimeInfo } from '../dist/index.js';
import { readMedMNIST } from '../dist/data/index.js';
import { toNativeStore } from '../dist/data/dataset.js';
import { auroc, median } from '../dist/metrics/index.js';
import { getModelCard, normalisation } from '../dist/registry.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    ks: { type: 'string', default: '17,14,12' }, threads: { type: 'string', default: '2' }, size: { type: 'string', default: '224' },
    rounds: { type: 'string', default: '3' }, runs: { type: 'string', default: '30' }, warmup: { type: 'string', default: '10' },
    epochs: { type: 'string', default: '3' }, 'train-size': { type: 'string', default: '64' }, 'train-limit': { type: 'string', default: '1000' },
    calibration: { type: 'string', default: '256' }, sets: { type: 'string', default: 'breastmnist,pneumoniamnist' },
    'skip-accuracy': { type: 'boolean', default: false }, 'compare-fx': { type: 'boolean', default: false },
    'skip-latency': { type: 'boolean', default: false }, engines: { type: 'string' }, shared: { type: 'string', default: resolve(here, '..', '..', 'shared') },
  },
});
const ks = values.ks.split(',').map(Number);
const [threads, size, rounds, runs, warmup, epochs, trainSize, trainLimit, calibrationCount] =
  ['threads', 'size', 'rounds', 'runs', 'warmup', 'epochs', 'train-size', 'train-limit', 'calibration'].map((k) => Number(values[k]));
const runtime = await runtimeInfo();
const engines = values.engines ? values.engines.split(',') : runtime.quantizedEngines;
const npz = (set) => join(values.shared, 'data', set, `${set}.npz`);

/** The first n images of a split. */
function firstImages(split, n) {
  const per = split.images.length / split.shape[0];
  return { images: split.images.subarray(0, n * per), shape: [n, ...split.shape.slice(1)], labels: split.labels.subarray(0, n) };
}
/** Image i of a gray split as predictor input. */
const pixels = (split, i) => {
  const [, h, w] = split.shape;
  return { data: split.images.subarray(i * h * w, (i + 1) * h * w), shape: [h, w] };
};

// Latency. Calibration images only set ranges here (the weights are random): 32 BreastMNIST training images.
const card = getModelCard('resnet50');
const pipeline = { size, channels: 3, ...normalisation(card) };
const calibrationStore = toNativeStore(firstImages(readMedMNIST(npz('breastmnist')).train, 32), 'gray');
async function latency(k, engine) {
  const net = await createModel({ model: 'resnet50', cutoff: k, numClasses: 2, device: 'cpu', threads });
  const info = engine ? await net.quantizeForInference(calibrationStore, pipeline, { engine }) : await net.optimizeForInference([3, size, size]);
  const { medianMs } = await net.latency([3, size, size], { warmup, runs });
  await net.close();
  return { ms: medianMs, info };
}
async function timeLatency() {
  const contenders = ['fp32', ...engines];
  const times = new Map(ks.map((k) => [k, Object.fromEntries(contenders.map((c) => [c, []]))]));
  for (let round = 0; round < rounds; round++)
    for (const k of ks)
      for (const c of contenders) times.get(k)[c].push((await latency(k, c === 'fp32' ? undefined : c)).ms);
  const list = (a) => a.map((v) => v.toFixed(1)).join(', ');
  console.log(`LibTorch ${runtime.libtorch}; ResNet-50 cut at k + linear head, batch 1, ${size} px, ${threads} threads, ${warmup} + ${runs} runs, ${rounds} interleaved rounds`);
  return ks.map((k) => {
    const t = times.get(k);
    const fp32Ms = median(t.fp32);
    const int8Ms = Object.fromEntries(engines.map((e) => [e, median(t[e])]));
    console.log(`k=${k}: fp32 serving ${fp32Ms.toFixed(1)} ms (${list(t.fp32)}); ` +
      engines.map((e) => `int8 ${e} ${int8Ms[e].toFixed(1)} ms (${list(t[e])}) = ${(int8Ms[e] / fp32Ms).toFixed(2)}x`).join('; '));
    return { k, fp32Ms, int8Ms, ratios: Object.fromEntries(engines.map((e) => [e, int8Ms[e] / fp32Ms])), runs: t };
  });
}
const file = join(here, 'results', 'int8.json');
const results = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : { builds: {} };
const previous = results.builds[runtime.libtorch];
// --skip-latency / --skip-accuracy keep this LibTorch's rows of that kind from the run that measured them.
const keepLatency = values['skip-latency'] && previous;
const latencyResult = keepLatency
  ? { ...previous.latency, measuredAt: previous.latency.measuredAt ?? previous.measuredAt }
  : { measuredAt: new Date().toISOString(), size, threads, rounds, warmup, runs, rows: await timeLatency() };

/** PyTorch's FX quantization of the same checkpoint (bench/int8_fx.py): AUROC of its float and int8 networks, their
 * label agreement, and how often its float labels equal ttl-torch's (`ours`: a check that both run the same network). */
function fxQuantized(checkpoint, data, k, truth, ours) {
  const python = join(here, '..', '.venv', 'bin', 'python');
  const r = spawnSync(python, [join(here, 'int8_fx.py'), checkpoint, data, String(k), String(calibrationCount), String(threads)], { encoding: 'utf8', cwd: here, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`int8_fx.py ${checkpoint} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop());
  const label = (p) => p.indexOf(Math.max(...p));
  const [fp32, int8] = [out.fp32.map(label), out.int8.map(label)];
  const share = (a, b) => a.filter((v, i) => v === b[i]).length / a.length;
  return {
    torch: out.torch, engine: out.engine, fp32Auroc: auroc(truth, out.fp32.map((p) => p[1])), int8Auroc: auroc(truth, out.int8.map((p) => p[1])),
    agreement: share(fp32, int8), fp32SameAsOurs: share(fp32, ours),
  };
}

// Accuracy of the predictor's own choice of engine.
const accuracyRows = [];
let autoEngine;
if (!values['skip-accuracy']) {
  const dir = mkdtempSync(join(tmpdir(), 'ttl-int8-bench-'));
  try {
    for (const set of values.sets.split(',')) {
      const data = readMedMNIST(npz(set));
      const train = firstImages(data.train, Math.min(trainLimit, data.train.labels.length));
      const calibration = Array.from({ length: calibrationCount }, (_, i) => pixels(data.train, i));
      const tests = Array.from({ length: data.test.labels.length }, (_, i) => pixels(data.test, i));
      const truth = Array.from(data.test.labels);
      for (const k of ks) {
        const checkpoint = join(dir, `${set}-k${k}.safetensors`);
        await finetune({ model: 'resnet50', strategy: { kind: 'ttl', cutoff: k }, data: { ...data, train }, imageSize: trainSize, epochs, batchSize: 32, device: 'cpu', threads, seed: 0, checkpoint });
        const scores = {};
        for (const precision of ['fp32', 'int8']) {
          const predictor = await loadPredictor(checkpoint, { device: 'cpu', threads, precision, ...(precision === 'int8' ? { calibration } : {}) });
          if (precision === 'int8') autoEngine = predictor.int8.engine;
          scores[precision] = await predictor.predictBatch(tests, { batchSize: 64 });
          await predictor.close();
        }
        const positive = (p) => p.probabilities[1];
        const agreement = scores.fp32.filter((p, i) => p.label === scores.int8[i].label).length / truth.length;
        const row = { set, k, fp32Auroc: auroc(truth, scores.fp32.map(positive)), int8Auroc: auroc(truth, scores.int8.map(positive)), agreement, testImages: truth.length };
        if (values['compare-fx']) row.fx = fxQuantized(checkpoint, npz(set), k, truth, scores.fp32.map((p) => p.label));
        accuracyRows.push(row);
        console.log(`${set} k=${k}: AUROC fp32 ${row.fp32Auroc.toFixed(4)}, int8 (${autoEngine}) ${row.int8Auroc.toFixed(4)}, labels agreeing ${(100 * agreement).toFixed(1)}%` +
          (row.fx ? `; PyTorch FX: fp32 ${row.fx.fp32Auroc.toFixed(4)}, int8 ${row.fx.int8Auroc.toFixed(4)}, labels agreeing ${(100 * row.fx.agreement).toFixed(1)}% (its fp32 labels = ours for ${(100 * row.fx.fp32SameAsOurs).toFixed(1)}%)` : ''));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const accuracy = values['skip-accuracy'] && previous
  ? { ...previous.accuracy, measuredAt: previous.accuracy.measuredAt ?? previous.measuredAt }
  : { measuredAt: new Date().toISOString(), trainSize, epochs, trainLimit, calibration: calibrationCount, rows: accuracyRows };
results.builds[runtime.libtorch] = {
  measuredAt: new Date().toISOString(), cpuCapability: runtime.cpuCapability, available: runtime.quantizedEngines,
  engines: keepLatency ? previous.engines : engines,
  autoEngine: autoEngine ?? (values['skip-accuracy'] ? previous?.autoEngine : undefined),
  latency: latencyResult,
  accuracy,
};
mkdirSync(dirname(file), { recursive: true });
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
