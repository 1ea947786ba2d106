// Serving latency: ResNet-50 cut after unit k + a linear head, batch 1, 224 px, warm, in eval mode: ttl-torch's
// plain network, ttl-torch's serving copy (optimizeForInference: folded batch norms, oneDNN), the same network
// exported to ONNX run by onnxruntime-node (its CPU provider, default session options but the thread count),
// and PyTorch eager (bench/pytorch_latency.py, Debian's python3-torch), in interleaved rounds; prints medians and
// ratios and writes bench/results/latency.json.
// Options: --ks 17,14,12  --threads 2  --size 224  --rounds 3  --runs 30  --warmup 10
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as ort from 'onnxruntime-node';
import { createModel, exportOnnx } from '../dist/index.js';

const here = dirname(fileURLToPath(import.meta.url));
// The environment as started, before the addon loader sets OMP_WAIT_POLICY: PyTorch runs with its own defaults.
const startEnv = { ...process.env };
const { values } = parseArgs({
  options: {
    ks: { type: 'string', default: '17,14,12' }, threads: { type: 'string', default: '2' }, size: { type: 'string', default: '224' },
    rounds: { type: 'string', default: '3' }, runs: { type: 'string', default: '30' }, warmup: { type: 'string', default: '10' },
  },
});
const ks = values.ks.split(',').map(Number);
const [threads, size, rounds, runs, warmup] = [values.threads, values.size, values.rounds, values.runs, values.warmup].map(Number);
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

async function ours(k, serving) {
  const net = await createModel({ model: 'resnet50', cutoff: k, numClasses: 2, device: 'cpu', threads });
  const info = serving ? await net.optimizeForInference([3, size, size]) : undefined;
  const { medianMs } = await net.latency([3, size, size], { warmup, runs });
  await net.close();
  return { ms: medianMs, info };
}

const onnxDir = mkdtempSync(join(tmpdir(), 'ttl-latency-onnx-'));
process.once('exit', () => rmSync(onnxDir, { recursive: true, force: true }));
async function onnxruntime(k) {
  const net = await createModel({ model: 'resnet50', cutoff: k, numClasses: 2, device: 'cpu', threads });
  const path = join(onnxDir, `k${k}.onnx`);
  await exportOnnx(net, path);
  await net.close();
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: threads, interOpNumThreads: 1 });
  const feeds = { image: new ort.Tensor('float32', new Float32Array(3 * size * size).fill(0.5), [1, 3, size, size]) };
  for (let i = 0; i < warmup; i++) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await session.run(feeds);
    times.push(performance.now() - start);
  }
  await session.release();
  return median(times);
}

function pytorch(k) {
  const run = spawnSync('/usr/bin/python3', [join(here, 'pytorch_latency.py'), String(k), String(size), String(threads), String(warmup), String(runs)], { encoding: 'utf8', env: startEnv });
  if (run.status !== 0) throw new Error(`PyTorch reference failed (is python3-torch installed?): ${run.stderr}`);
  return median(run.stdout.trim().split('\n').map(Number));
}

const results = new Map(ks.map((k) => [k, { plain: [], serving: [], onnxruntime: [], pytorch: [], info: undefined }]));
for (let round = 0; round < rounds; round++) {
  for (const k of ks) {
    const r = results.get(k);
    r.plain.push((await ours(k, false)).ms);
    const served = await ours(k, true);
    r.serving.push(served.ms);
    r.info = served.info;
    r.onnxruntime.push(await onnxruntime(k));
    r.pytorch.push(pytorch(k));
  }
}
const list = (a) => a.map((v) => v.toFixed(1)).join(', ');
console.log(`ResNet-50 cut at k + linear head, batch 1, ${size}x${size}, ${threads} threads, ${warmup} warm-up + ${runs} timed runs, median per run, ${rounds} interleaved rounds`);
const rows = [];
for (const [k, r] of results) {
  const [plain, serving, onnx, torch] = [median(r.plain), median(r.serving), median(r.onnxruntime), median(r.pytorch)];
  rows.push({ k, servingMs: serving, plainMs: plain, onnxruntimeMs: onnx, pytorchEagerMs: torch, runs: { serving: r.serving, plain: r.plain, onnxruntime: r.onnxruntime, pytorch: r.pytorch }, layout: r.info?.layout });
  console.log(`k=${k}: ttl-torch serving ${serving.toFixed(1)} ms (${list(r.serving)}; ${r.info?.layout}, ${r.info?.foldedNorms} norms folded), ` +
    `plain ${plain.toFixed(1)} ms (${list(r.plain)}), onnxruntime ${onnx.toFixed(1)} ms (${list(r.onnxruntime)}), PyTorch eager ${torch.toFixed(1)} ms (${list(r.pytorch)}); ` +
    `PyTorch/serving = ${(torch / serving).toFixed(2)}x, onnxruntime/serving = ${(onnx / serving).toFixed(2)}x, plain/serving = ${(plain / serving).toFixed(2)}x`);
}
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'latency.json'), JSON.stringify({ size, threads, rounds, warmup, runs, measuredAt: new Date().toISOString(), rows }, null, 2) + '\n');
