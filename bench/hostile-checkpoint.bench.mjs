// npm run bench -- hostile-checkpoint
// Peak memory of loading hostile .pth files into a SqueezeNet 1.1 (what a service that loads uploaded
// checkpoints risks), each in a fresh process: peak RSS during the load minus RSS before it, against the
// model's own weight bytes (the file itself is read whole, so a real checkpoint costs its size plus one copy). Cases: a real checkpoint of the model (the reference), the 0.6 MB file
// whose pickle inflates to 600 MB of zeros, and one whose first conv's storage inflates to 600 MB.
// Writes bench/results/hostile-checkpoint.json.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { stateDictPickle } from '../fuzz/formats/pickle.mjs';
import { zipBytes } from '../fuzz/formats/zip.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { createModel } = await import(join(here, '..', 'dist', 'index.js'));
const MODEL = { model: 'squeezenet1_1', numClasses: 1000, device: 'cpu', seed: 0 };

if (process.argv[2] === '--load') {
  const model = await createModel(MODEL);
  const before = process.memoryUsage().rss;
  let outcome = 'loaded';
  try {
    await model.loadWeights(process.argv[3]);
  } catch (e) {
    outcome = `${e.code}: ${e.message.split('\n')[0].slice(0, 140)}`;
  }
  const peak = process.resourceUsage().maxRSS * 1024;
  console.log(JSON.stringify({ growth: Math.max(0, peak - before), outcome }));
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'ttl-hostile-bench-'));
process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
const model = await createModel(MODEL);
const state = [...(await model.state())];
model.dispose();
const weightBytes = state.reduce((a, [, t]) => a + t.data.length, 0);
const tensors = state.map(([name, t], i) => ({
  name, type: t.dtype === 'I64' ? 'LongStorage' : 'FloatStorage', key: String(i), offset: 0, shape: t.shape,
  stride: t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1)),
}));
const storages = state.map(([, t], i) => ({ name: `archive/data/${i}`, data: t.data }));
const pickle = { name: 'archive/data.pkl', data: stateDictPickle(tensors) };
const zeros = new Uint8Array(600 * 1024 ** 2);
const bomb = deflateRawSync(zeros);
const cases = {
  'real checkpoint': zipBytes([pickle, ...storages]),
  // As the file: the pickle alone, 0.6 MB.
  'pickle inflating to 600 MB': zipBytes([{ name: 'archive/data.pkl', data: new Uint8Array(0), compressed: bomb, declaredSize: zeros.length, deflate: true }]),
  'a storage inflating to 600 MB': zipBytes([pickle, { ...storages[0], data: new Uint8Array(0), compressed: bomb, declaredSize: zeros.length, deflate: true }, ...storages.slice(1)]),
};
const rows = [];
for (const [name, bytes] of Object.entries(cases)) {
  const path = join(dir, `${rows.length}.pth`);
  writeFileSync(path, bytes);
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--load', path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${name}: ${r.stderr}`);
  const { growth, outcome } = JSON.parse(r.stdout.trim().split('\n').pop());
  rows.push({ case: name, fileBytes: statSync(path).size, peakGrowthBytes: growth, ofWeights: growth / weightBytes, outcome });
  console.log(`${name.padEnd(32)} file ${(statSync(path).size / 1e6).toFixed(2)} MB  peak +${(growth / 1e6).toFixed(1)} MB = ${(growth / weightBytes).toFixed(2)}x the weights  ${outcome}`);
}
const out = join(here, 'results', 'hostile-checkpoint.json');
writeFileSync(out, JSON.stringify({ model: MODEL.name, weightBytes, measuredAt: new Date().toISOString(), node: process.version, rows }, null, 2) + '\n');
console.log(`weights ${(weightBytes / 1e6).toFixed(1)} MB; wrote ${out}`);
