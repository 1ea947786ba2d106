// npm run bench -- peers [--sections step,infer,epoch] [--rounds 3] [--threads 2] [--steps 3] [--ks 17,14,12]
//                        [--wait-policy ACTIVE|PASSIVE] [--out bench/results/peers.json]
// ttl-torch on both LibTorch lines against the PyTorch a user would reach for, side by side in one run: each
// contestant a fresh process per round, rounds interleaved so all share the machine's noise; medians and ratios
// printed and written to bench/results/peers.json (--out).
//   step:  ResNet-50 training step, batch 16, 128 px, SGD, fp32 and bf16 autocast: ttl-torch 1.13 / 2.15 against
//          PyTorch 2.x eager, PyTorch 2.x torch.compile (inductor; the first step, which compiles, reported apart)
//          and PyTorch 1.13 eager.
//   infer: batch-1 latency, ResNet-50 cut at k + linear head, 224 px: ttl-torch's serving copy against PyTorch 2.x
//          eager (inference_mode), torch.compile and frozen TorchScript (optimize_for_inference), and PyTorch 1.13's
//          frozen TorchScript. Each PyTorch mode's output is checked against its own eager output (relative max).
//   epoch: one FTL epoch of SqueezeNet 1.1 (shared ImageNet weights, 64 px, batch 32, the default augmentation,
//          SGD momentum 0.9) on PneumoniaMNIST and BreastMNIST: ttl-torch against a plain PyTorch 2.x script with a
//          DataLoader (bench/peers_pytorch.py), training images per second.
// Needs both builds (build/ and build-pip/: .ci/run makes them), PyTorch 2.x in .venv (setup.sh --libtorch pip) and
// Debian's python3-torch.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const { values } = parseArgs({
  options: {
    sections: { type: 'string', default: 'step,infer,epoch' }, rounds: { type: 'string', default: '3' },
    'wait-policy': { type: 'string' },
    threads: { type: 'string', default: '2' }, steps: { type: 'string', default: '3' }, ks: { type: 'string', default: '17,14,12' },
    venv: { type: 'string', default: join(root, '.venv') }, out: { type: 'string', default: join(here, 'results', 'peers.json') }, shared: { type: 'string', default: resolve(root, '..', 'shared') },
  },
});
const [rounds, threads, steps] = [values.rounds, values.threads, values.steps].map(Number);
const pythons = { 'PyTorch 2.x': join(values.venv, 'bin', 'python'), 'PyTorch 1.13': '/usr/bin/python3' };
const builds = { 'ttl-torch on LibTorch 1.13': 'build', 'ttl-torch on LibTorch 2.x': 'build-pip' };

// Each side's own default unless --wait-policy says otherwise: ttl-torch's loader sets libgomp's OMP_WAIT_POLICY
// to PASSIVE (robust beside busy neighbours), PyTorch leaves it spinning; ACTIVE or PASSIVE gives both the same.
const waitPolicy = values['wait-policy'] ? { OMP_WAIT_POLICY: values['wait-policy'] } : {};
function run(command, args, env = {}) {
  const r = spawnSync(command, args, { encoding: 'utf8', cwd: root, env: { ...process.env, ...env, ...waitPolicy }, timeout: 900_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}
const ttl = (build) => (...args) => run(process.execPath, [join(here, 'peers-ttl.mjs'), ...args.map(String)], { TTL_TORCH_BUILD_DIR: build });
const torch = (python) => (...args) => run(python, [join(here, 'peers_pytorch.py'), ...args.map(String)]);
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** cells: name -> () => measurement; each round runs every cell once, in order. */
function measure(title, cells, figure) {
  const runs = Object.fromEntries(Object.keys(cells).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++)
    for (const [name, cell] of Object.entries(cells)) {
      const m = cell();
      runs[name].push(m);
      console.error(`  ${title} | ${name} | round ${round + 1}: ${JSON.stringify(m)}`);
    }
  return Object.fromEntries(Object.entries(runs).map(([name, ms]) => [name, { median: median(ms.map((m) => m[figure])), runs: ms }]));
}

const results = { machine: { threads, rounds, waitPolicy: values['wait-policy'] ?? 'each default', date: new Date().toISOString() }, step: {}, infer: {}, epoch: {} };
const sections = values.sections.split(',');
const [torch2, torch1] = [torch(pythons['PyTorch 2.x']), torch(pythons['PyTorch 1.13'])];
const ours = Object.fromEntries(Object.entries(builds).map(([name, dir]) => [name, ttl(dir)]));

if (sections.includes('step'))
  for (const precision of ['fp32', 'bf16']) {
    const args = [16, 128, steps, threads];
    results.step[precision] = measure(`step ${precision}`, {
      ...Object.fromEntries(Object.entries(ours).map(([name, t]) => [name, () => t('step', precision, ...args)])),
      'PyTorch 2.x eager': () => torch2('step', 'eager', precision, ...args),
      'PyTorch 2.x torch.compile': () => torch2('step', 'compile', precision, ...args),
      'PyTorch 1.13 eager': () => torch1('step', 'eager', precision, ...args),
    }, 'imagesPerSecond');
  }
if (sections.includes('infer'))
  for (const k of values.ks.split(',').map(Number)) {
    const args = [k, 224, threads, 5, 20];
    results.infer[`k=${k}`] = measure(`infer k=${k}`, {
      ...Object.fromEntries(Object.entries(ours).map(([name, t]) => [`${name} (serving copy)`, () => t('infer', ...args)])),
      'PyTorch 2.x eager': () => torch2('infer', 'eager', ...args),
      'PyTorch 2.x torch.compile': () => torch2('infer', 'compile', ...args),
      'PyTorch 2.x frozen TorchScript': () => torch2('infer', 'frozen', ...args),
      'PyTorch 1.13 frozen TorchScript': () => torch1('infer', 'frozen', ...args),
    }, 'medianMs');
  }
if (sections.includes('epoch'))
  for (const set of ['pneumoniamnist', 'breastmnist']) {
    const npz = join(values.shared, 'data', set, `${set}.npz`);
    const weights = join(values.shared, 'weights', 'squeezenet1_1-imagenet.safetensors');
    results.epoch[set] = measure(`epoch ${set}`, {
      ...Object.fromEntries(Object.entries(ours).map(([name, t]) => [name, () => t('epoch', npz, values.shared, 64, 32, threads)])),
      'PyTorch 2.x script (DataLoader)': () => torch2('epoch', npz, weights, 64, 32, threads),
    }, 'imagesPerSecond');
  }

// Ratios: ttl-torch over each peer, higher is better for ttl-torch (throughput over throughput, latency under latency).
const table = [];
for (const [section, higherIsBetter] of [['step', true], ['infer', false], ['epoch', true]])
  for (const [cell, contestants] of Object.entries(results[section])) {
    const names = Object.keys(contestants);
    for (const ourName of names.filter((n) => n.startsWith('ttl-torch')))
      for (const peer of names.filter((n) => !n.startsWith('ttl-torch'))) {
        const [o, p] = [contestants[ourName].median, contestants[peer].median];
        table.push({ section, cell, ours: ourName, peer, ratio: higherIsBetter ? o / p : p / o });
      }
  }
results.ratios = table;
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, JSON.stringify(results, null, 2) + '\n');
for (const section of ['step', 'infer', 'epoch'])
  for (const [cell, contestants] of Object.entries(results[section])) {
    console.log(`${section} ${cell} (${section === 'infer' ? 'median ms' : 'images/s'}, medians of ${rounds} rounds):`);
    for (const [name, c] of Object.entries(contestants)) console.log(`  ${name.padEnd(44)} ${c.median.toFixed(section === 'infer' ? 1 : 2)}`);
  }
console.log('ttl-torch / peer (> 1: ttl-torch faster):');
for (const r of table) console.log(`  ${r.section} ${r.cell}: ${r.ours} vs ${r.peer}: ${r.ratio.toFixed(2)}x`);
