// The longest event-loop block (perf_hooks.monitorEventLoopDelay, 1 ms resolution) while a service loads a
// dataset or weights: what an HTTP request arriving meanwhile would wait at worst. Median of --rounds.
// Options: --rounds 5
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createModel, loadDataset, readMedMNIST, readSafetensors } from '../dist/index.js';

const shared = resolve(import.meta.dirname, '..', '..', 'shared');
const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

async function longestBlock(work) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await sleep(20); // the monitor's timer is running before the work starts
  const start = performance.now();
  await work();
  const total = performance.now() - start;
  await sleep(5);
  histogram.disable();
  return { blockMs: histogram.max / 1e6, totalMs: total };
}

const npz = join(shared, 'data', 'pneumoniamnist', 'pneumoniamnist.npz');
const weights = join(shared, 'fixtures', 'parity-resnet50.safetensors');
const model = await createModel({ name: 'resnet50', device: 'cpu' });
const cases = {
  'readMedMNIST (sync) pneumoniamnist.npz': () => readMedMNIST(npz),
  'loadDataset pneumoniamnist.npz (async)': () => loadDataset(npz),
  'createModel resnet50 (no weights)': async () => (await createModel({ name: 'resnet50', device: 'cpu' })).close(),
  'readSafetensors (sync) parity-resnet50 (52 MB)': () => readSafetensors(weights),
  'loadWeights parity-resnet50.safetensors (52 MB F16)': () => model.loadWeights(weights, { prefix: 'weights.' }),
};
const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, work] of Object.entries(cases)) results[name].push(await longestBlock(work));
}
console.log(`longest event-loop block (ms) and wall time (ms), median of ${values.rounds} rounds`);
for (const [name, runs] of Object.entries(results)) {
  console.log(`${name.padEnd(52)} block ${median(runs.map((r) => r.blockMs)).toFixed(1)} ms (${runs.map((r) => r.blockMs.toFixed(0)).join(', ')}), ` +
    `wall ${median(runs.map((r) => r.totalMs)).toFixed(1)} ms`);
}
await model.close();
