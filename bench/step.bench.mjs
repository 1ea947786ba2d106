// npm run bench -- step [--model resnet50] [--size 128] [--batch 16] [--steps 6] [--rounds 3] [--compare-pytorch]
// One training step (forward, backward, SGD with momentum) of a 2-class network on random input, timed in
// interleaved rounds: ttl-torch in its default layout (channels-last for 2D on the CPU) and contiguous, and with
// --compare-pytorch Debian's PyTorch eager, contiguous (what its users get by default) and channels-last. Prints
// images/s, the FLOP/s that is (a step is ~3 forwards of 2 FLOP per MAC) and its fraction of this CPU's peak
// (bench/cpu-peak.mjs, printed with it); writes bench/results/step-<model>-<size>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createModel, runtimeInfo } from '../dist/index.js';
import { compareWithPytorch } from './compare-pytorch.mjs';
import { cpuPeak } from './cpu-peak.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'resnet50' },
    size: { type: 'string', default: '128' },
    batch: { type: 'string', default: '16' },
    steps: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '3' },
    'compare-pytorch': { type: 'boolean', default: false },
  },
});
const [model, size, batch] = [values.model, Number(values.size), Number(values.batch)];
const info = await runtimeInfo();
const peak = cpuPeak();
const probe = await createModel({ model: model, numClasses: 2, device: 'cpu' });
const macs = (await probe.complexity([3, ...new Array(probe.inputRank - 1).fill(size)])).macs;
probe.dispose();
console.log(`LibTorch ${info.libtorch}, ${info.threads} threads, CPU kernels ${info.cpuCapability}; peak: ${peak.describe}`);
console.log(`${model} at ${size} px: ${(macs / 1e9).toFixed(2)} GMAC per image forward, ~${((6 * macs) / 1e9).toFixed(1)} GFLOP per image per training step`);
const { medians, runs } = await compareWithPytorch({
  model, size, batch, steps: Number(values.steps), threads: info.threads, rounds: Number(values.rounds),
  ours: ['auto', 'contiguous'], pytorch: values['compare-pytorch'] ? ['contiguous', 'channels-last'] : [],
});
const rows = Object.entries(medians).map(([contender, ips]) => ({ contender, imagesPerSecond: ips, gflops: (ips * 6 * macs) / 1e9, ofPeak: (ips * 6 * macs) / peak.fp32 }));
for (const r of rows) console.log(`  ${r.contender.padEnd(28)} ${r.gflops.toFixed(1).padStart(6)} GFLOP/s = ${(100 * r.ofPeak).toFixed(0)}% of fp32 peak`);
mkdirSync(join(here, 'results'), { recursive: true });
const out = join(here, 'results', `step-${model}-${size}.json`);
writeFileSync(out, JSON.stringify({ model, size, batch, threads: info.threads, libtorch: info.libtorch, cpu: info.cpuCapability, peak, macs, rows, runs, measuredAt: new Date().toISOString() }, null, 2) + '\n');
console.log(`wrote ${out}`);
