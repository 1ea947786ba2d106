// The longest event-loop block (perf_hooks.monitorEventLoopDelay, 1 ms resolution) while a service loads a
// dataset or weights or the addon itself: what an HTTP request arriving meanwhile would wait at worst. Median
// of --rounds. The addon's first load happens once per process, so it is measured in fresh child processes.
// Options: --rounds 5
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createModel } from '../dist/index.js';
import { loadDataset, readMedMNIST } from '../dist/data/index.js';
import { readSafetensors } from '../dist/weights/index.js';
import { longestBlock } from './event-loop-probe.mjs';

const here = import.meta.dirname;
const shared = resolve(here, '..', '..', 'shared');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

const npz = join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz');
const weights = join(shared, 'fixtures', 'parity-resnet50.safetensors');
const scratch = mkdtempSync(join(tmpdir(), 'ttl-event-loop-'));
const pth = join(scratch, 'parity-resnet50.pth');
const convert = spawnSync('/usr/bin/python3', [join(here, '..', 'test', 'support', 'tools', 'safetensors_to_pth.py'), weights, pth], { encoding: 'utf8' });
if (convert.status !== 0) throw new Error(`writing a .pth needs Debian's python3-torch: ${convert.stderr}`);

// In a fresh process: the longest block while the addon loads, synchronously on first use or by loadNative().
function firstLoad(how) {
  const script = `import { longestBlock } from ${JSON.stringify(join(here, 'event-loop-probe.mjs'))};
    const m = await import(${JSON.stringify(join(here, '..', 'dist', 'runtime.js'))});
    const r = await longestBlock(${how === 'sync' ? '() => m.runtimeInfo()' : '() => m.loadNative()'});
    console.log(JSON.stringify(r));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

const model = await createModel({ model: 'resnet50', device: 'cpu' });
const cases = {
  'first addon load, sync on first use': () => firstLoad('sync'),
  'first addon load, loadNative() (createModel)': () => firstLoad('async'),
  'readMedMNIST (sync) pneumoniamnist.npz': () => readMedMNIST(npz),
  'loadDataset pneumoniamnist.npz (async)': () => loadDataset(npz),
  'createModel resnet50 (no weights)': async () => (await createModel({ model: 'resnet50', device: 'cpu' })).close(),
  'readSafetensors (sync) parity-resnet50 (52 MB)': () => readSafetensors(weights),
  'loadWeights parity-resnet50.safetensors (52 MB F16)': () => model.loadWeights(weights, { prefix: 'weights.' }),
  'loadWeights parity-resnet50.pth (torch.save, 52 MB)': () => model.loadWeights(pth, { prefix: 'weights.' }),
};
const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, work] of Object.entries(cases)) {
    results[name].push(name.startsWith('first addon load') ? work() : await longestBlock(work));
  }
}
console.log(`longest event-loop block (ms) and wall time (ms), median of ${values.rounds} rounds`);
for (const [name, runs] of Object.entries(results)) {
  console.log(`${name.padEnd(52)} block ${median(runs.map((r) => r.blockMs)).toFixed(1)} ms (${runs.map((r) => r.blockMs.toFixed(0)).join(', ')}), ` +
    `wall ${median(runs.map((r) => r.totalMs)).toFixed(1)} ms`);
}
await model.close();
rmSync(scratch, { recursive: true, force: true });
