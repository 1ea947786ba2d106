// npm run bench -- bf16 [--sets breastmnist,pneumoniamnist,bccd,adrenal] [--models LIST] [--seeds 0,1,2]
//   [--strategies ftl,ttl] [--epochs N] [--size 64] [--threads 2] [--device cpu|cuda] [--resume]
//   [--out bench/results/bf16.json]
// The study that decides whether bf16 autocast could be a default: every (set, model) of the training studies
// (bench/study-sets.mjs), FTL and TTL at the end of the second-to-last block, each seed trained in float32 and under
// bf16 autocast with the same seed (alternating which goes first). bf16 would be free where, in every group, the
// mean test AUROC is within 0.005 of float32's, no seed's paired comparison of the two (DeLong for two classes,
// a paired bootstrap for more) is significant at 0.05, and the median epoch throughput is >= 1.4x float32's.
// Rows are written after each pair (--resume keeps them and trains the rest), so a long study survives a stop.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { shared, studyCases, STUDY_SETS } from './study-sets.mjs';
import { finetune, runtimeInfo } from '../dist/index.js';
import { writeFileAtomic } from '../dist/fs/atomic.js';
import { compareAuroc, meanStd, median } from '../dist/metrics/index.js';
import { setThreads } from '../dist/runtime.js';
import { cpuHasBf16 } from '../dist/train/bf16-support.js';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: Object.keys(STUDY_SETS).join(',') }, models: { type: 'string' },
    seeds: { type: 'string', default: '0,1,2' }, strategies: { type: 'string', default: 'ftl,ttl' },
    epochs: { type: 'string' }, size: { type: 'string', default: '64' }, threads: { type: 'string', default: '2' },
    device: { type: 'string', default: 'cpu' }, resume: { type: 'boolean', default: false },
    out: { type: 'string', default: join(here, 'results', 'bf16.json') },
  },
});
// The bar for making bf16 a default.
const CRITERIA = { maxAurocDifference: 0.005, minP: 0.05, minSpeedup: 1.4 };

const threads = Number(values.threads);
setThreads(threads);
const info = await runtimeInfo();
const cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
const machine = {
  libtorch: info.libtorch, cpuCapability: info.cpuCapability, cpu: cpuModel, bf16Instructions: cpuHasBf16(), threads, device: values.device,
};
console.log(`LibTorch ${machine.libtorch}, ${machine.cpu} (${machine.cpuCapability}, BF16 instructions: ${machine.bf16Instructions ? 'yes' : 'no'}), ${threads} threads, ${values.device}`);

const previous = values.resume && existsSync(values.out) ? JSON.parse(readFileSync(values.out, 'utf8')).rows : [];
const rows = [...previous];
const keyOf = (r) => `${r.set}|${r.model}|${r.strategy}|${r.seed}|${r.epochs}|${r.size}`;
const done = new Set(previous.map(keyOf));

/** The summary, the verdict and the rows, written atomically so that a stop mid-write keeps the last complete file. */
function save() {
  const groups = new Map();
  for (const r of rows) {
    const group = `${r.set}|${r.model}|${r.strategy}`;
    groups.set(group, [...(groups.get(group) ?? []), r]);
  }
  const summary = [...groups.values()].map((g) => {
    const fp32 = meanStd(g.map((r) => r.fp32.auroc)).mean;
    const bf16 = meanStd(g.map((r) => r.bf16.auroc)).mean;
    return {
      set: g[0].set, model: g[0].model, strategy: g[0].strategy, seeds: g.map((r) => r.seed), epochs: g[0].epochs, size: g[0].size,
      fp32Auroc: fp32, bf16Auroc: bf16, difference: bf16 - fp32, minP: Math.min(...g.map((r) => r.p)),
      speedup: median(g.map((r) => r.bf16.imagesPerSecond / r.fp32.imagesPerSecond)),
    };
  });
  const failed = [];
  for (const s of summary) {
    const name = `${s.set} ${s.model} ${s.strategy}`;
    if (Math.abs(s.difference) > CRITERIA.maxAurocDifference) failed.push(`${name}: mean test AUROC differs by ${s.difference.toFixed(4)}`);
    if (s.minP < CRITERIA.minP) failed.push(`${name}: a seed's paired difference is significant (p = ${s.minP.toPrecision(2)})`);
    if (s.speedup < CRITERIA.minSpeedup) failed.push(`${name}: bf16 trains at ${s.speedup.toFixed(2)}x float32's images/s`);
  }
  // The whole protocol: FTL and one TTL cutoff of every (set, model), 3 seeds each, at the set's epoch budget.
  const full = summary.length === Object.values(STUDY_SETS).reduce((n, s) => n + s.models.length, 0) * 2 &&
    summary.every((s) => s.seeds.length >= 3 && s.epochs === STUDY_SETS[s.set].epochs);
  const verdict = { free: full && failed.length === 0, fullProtocol: full, failed };
  writeFileAtomic(values.out, [JSON.stringify({ machine, criteria: CRITERIA, measuredAt: new Date().toISOString(), verdict, summary, rows }, null, 2) + '\n']);
  return verdict;
}

for await (const { name: set, set: spec, model, card, dataset, size, weights } of studyCases(values.sets, values.models, Number(values.size))) {
  const epochs = values.epochs ? Number(values.epochs) : spec.epochs;
  const strategies = [{ kind: 'ftl' }, { kind: 'ttl', cutoff: card.blocks.at(-2) }].filter((st) => values.strategies.split(',').includes(st.kind));
  for (const strategy of strategies)
    for (const seed of values.seeds.split(',').map(Number)) {
      const row = { set, model, strategy: strategy.kind === 'ftl' ? 'FTL' : `TTL k=${strategy.cutoff}`, seed, epochs, size };
      if (done.has(keyOf(row))) continue;
      const trained = {};
      // Alternate which precision trains first: a neighbour's load then falls on both sides alike.
      for (const precision of seed % 2 ? ['bf16', 'fp32'] : ['fp32', 'bf16']) {
        const result = await finetune({
          model, weights, allowMissing: true, strategy, data: dataset, imageSize: size, epochs, weightDecay: 1e-4, seed,
          device: values.device, resolve: { mirror: shared, offline: true }, autocast: precision === 'bf16' ? 'bf16' : undefined,
        });
        trained[precision] = { auroc: result.test.auroc, imagesPerSecond: result.imagesPerSecond, bestEpoch: result.bestEpoch, probs: result.predictions.test };
      }
      const test = compareAuroc(dataset.test.labels, trained.bf16.probs, trained.fp32.probs, dataset.classes.length);
      for (const t of Object.values(trained)) delete t.probs;
      Object.assign(row, { fp32: trained.fp32, bf16: trained.bf16, difference: test.difference, p: test.p, test: test.method });
      rows.push(row);
      save();
      console.log(`${set} ${model} ${row.strategy} seed ${seed}: test AUROC fp32 ${row.fp32.auroc.toFixed(4)}, bf16 ${row.bf16.auroc.toFixed(4)} ` +
        `(${test.method} p = ${test.p.toPrecision(2)}); images/s fp32 ${row.fp32.imagesPerSecond.toFixed(1)}, bf16 ${row.bf16.imagesPerSecond.toFixed(1)}`);
    }
}
const verdict = save();
console.log(verdict.free ? 'bf16 autocast is free here by every criterion'
  : `bf16 autocast is not shown free here${verdict.fullProtocol ? '' : ' (a reduced run: not every set, seed and strategy of the protocol)'}:\n  ${verdict.failed.join('\n  ')}`);
