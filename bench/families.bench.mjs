// npm run bench -- families [--rounds 3] [--threads 2] [--steps 3] [--out bench/results/families.json]
// The backbones issue #38 added. complexity: params and MACs of every block cutoff at 224 px against the whole
// backbone (exact counts, ptflops' conventions). speed: a training step (batch 16, 128 px, SGD) and batch-1
// latency (224 px; ttl-torch's serving copy) of EfficientNet-B0, ResNeXt-50 and DenseNet-169 cut at their second
// block end and at their last unit, 2-class linear head: ttl-torch on LibTorch 1.13 (build/) and 2.15 (build-pip/)
// against PyTorch 2.x eager (.venv, bench/families_pytorch.py), each contestant a fresh process per round, rounds
// interleaved; medians and ratios to bench/results/families.json, which docs/api.md's table is generated from.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { getModelCard } from '../dist/index.js';
import { cutoffTable } from '../dist/models.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' }, threads: { type: 'string', default: '2' }, steps: { type: 'string', default: '3' },
    venv: { type: 'string', default: join(root, '.venv') }, out: { type: 'string', default: join(here, 'results', 'families.json') },
  },
});
const [rounds, threads, steps] = [values.rounds, values.threads, values.steps].map(Number);
const FAMILIES = ['efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3', 'efficientnet_b4', 'efficientnet_v2_s',
  'resnext50_32x4d', 'wide_resnet50_2', 'densenet169', 'densenet201'];
const TIMED = ['efficientnet_b0', 'resnext50_32x4d', 'densenet169'];

function run(command, args, env = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: root, env: { ...process.env, ...env }, timeout: 900_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const contestants = {
  'ttl-torch on LibTorch 1.13': (...a) => run(process.execPath, [join(here, 'families-ttl.mjs'), ...a.map(String)], { TTL_TORCH_BUILD_DIR: 'build' }),
  'ttl-torch on LibTorch 2.15': (...a) => run(process.execPath, [join(here, 'families-ttl.mjs'), ...a.map(String)], { TTL_TORCH_BUILD_DIR: 'build-pip' }),
  'PyTorch 2.x eager': (...a) => run(join(values.venv, 'bin', 'python'), [join(here, 'families_pytorch.py'), ...a.map(String)]),
};

const complexity = {};
for (const name of FAMILIES) {
  const rows = await cutoffTable(name, { imageSize: 224, device: 'cpu' });
  const full = rows.at(-1);
  complexity[name] = getModelCard(name).blocks.map((k) => ({ k, unit: rows[k - 1].unit, params: rows[k - 1].params, macs: rows[k - 1].macs,
    paramsShare: rows[k - 1].params / full.params, macsShare: rows[k - 1].macs / full.macs }));
}

const cells = [];
for (const model of TIMED) {
  const card = getModelCard(model);
  for (const k of [card.blocks[1], card.units.length]) {
    cells.push({ model, k, what: 'step', figure: 'imagesPerSecond', args: ['step', model, k, 16, 128, steps, threads] });
    cells.push({ model, k, what: 'infer', figure: 'medianMs', args: ['infer', model, k, 224, threads, 5, 20] });
  }
}
const runs = cells.map(() => Object.fromEntries(Object.keys(contestants).map((c) => [c, []])));
for (let round = 0; round < rounds; round++)
  cells.forEach((cell, i) => {
    for (const [name, measure] of Object.entries(contestants)) {
      const m = measure(...cell.args);
      runs[i][name].push(m[cell.figure]);
      console.error(`  ${cell.model} k=${cell.k} ${cell.what} | ${name} | round ${round + 1}: ${m[cell.figure].toFixed(2)}`);
    }
  });
const speed = cells.map((cell, i) => {
  const medians = Object.fromEntries(Object.entries(runs[i]).map(([name, r]) => [name, median(r)]));
  const peer = medians['PyTorch 2.x eager'];
  // ttl-torch over PyTorch, > 1 when ttl-torch is faster (throughput over throughput, latency under latency).
  const ratios = Object.fromEntries(Object.keys(contestants).filter((n) => n.startsWith('ttl')).map((n) => [n, cell.what === 'step' ? medians[n] / peer : peer / medians[n]]));
  return { model: cell.model, k: cell.k, what: cell.what, unit: cell.what === 'step' ? 'images/s' : 'ms', medians, runs: runs[i], ratios };
});
const results = { machine: { threads, rounds, steps, date: new Date().toISOString() }, complexity, speed };
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify(results, null, 2) + '\n');
for (const s of speed) console.log(`${s.model} k=${s.k} ${s.what} (${s.unit}): ${Object.entries(s.medians).map(([n, v]) => `${n} ${v.toFixed(2)}`).join(', ')}; ratios ${Object.values(s.ratios).map((r) => r.toFixed(2)).join(' / ')}`);
