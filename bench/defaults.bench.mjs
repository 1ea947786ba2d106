// npm run bench -- defaults [--sets breastmnist,pneumoniamnist,bccd,adrenal] [--recipes old,new,auto] [--seeds 0]
//   [--models LIST] [--strategies ftl,ttl] [--cutoffs K,...] [--size 64] [--trace FILE]
// The study behind the training defaults: each recipe trains FTL and a TTL cutoff of each model on each shared
// real set with the same epoch budget, and the table reports held-out test AUROC, whether training-batch losses
// spiked, the chosen learning rate and the wall time. Recipes:
//   old  - the defaults before the study: batch 64, LR 0.003, one full epoch of warm-up, no clipping, a ragged last batch
//   new  - TRAINING_DEFAULTS: batch 32, LR 0.01 (a card's own LR where it declares one), 5% warm-up, clipping at 5,
//          full batches only
//   auto - batch and warm-up as 'new', LR from a range test on each trial's own network
//   zero - 'new' with the new head initialised to zero (BiT)
//   'new' changed by one or more of (joined by '+', e.g. clip3+warmup0.2):
//     clipN - gradient-norm clipping at N (torch.nn.utils.clip_grad_norm_); clip0: none
//     lrN - learning rate N for the whole network
//     headlrN - the new head at N, the rest at the default LR (through pretrainedLrScale)
//     warmupN - linear warm-up over the fraction N of the steps
//     batchN - batch size N
//     even / ragged / drop - lastBatch: near-equal batches each epoch / full ones and a ragged last one / full ones only
// Every row says whether its training-batch losses spiked (bench/spikes.mjs); --trace FILE writes each row's
// batch losses as JSON.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { lossSpike } from './spikes.mjs';
import { shared, studyCases, STUDY_SETS } from './study-sets.mjs';
import { finetune, runtimeInfo } from '../dist/index.js';
import { lrRangeTest, TRAINING_DEFAULTS, defaultLr } from '../dist/train/index.js';

const { values } = parseArgs({
  options: {
    sets: { type: 'string', default: Object.keys(STUDY_SETS).join(',') },
    recipes: { type: 'string', default: 'old,new,auto' },
    seeds: { type: 'string', default: '0' },
    models: { type: 'string' },
    size: { type: 'string', default: '64' },
    strategies: { type: 'string', default: 'ftl,ttl' },
    // TTL cutoffs to train (default: the end of each model's second-to-last block).
    cutoffs: { type: 'string' },
    trace: { type: 'string' },
  },
});

const MODIFIERS = {
  clip: (value) => ({ clipGradNorm: value }),
  lr: (value) => ({ lr: value }),
  headlr: (value, base) => ({ lr: value, pretrainedLrScale: base.lr / value }),
  warmup: (value) => ({ warmup: value }),
  batch: (value) => ({ batchSize: value }),
  even: () => ({ lastBatch: 'even' }),
  ragged: () => ({ lastBatch: 'keep' }),
  drop: () => ({ lastBatch: 'drop' }),
};

const recipe = (name, card) => {
  if (name === 'old') return { batchSize: 64, lr: 0.003, warmup: null, clipGradNorm: 0, lastBatch: 'keep' };
  const base = { batchSize: TRAINING_DEFAULTS.batchSize, lr: name === 'auto' ? 'auto' : defaultLr(card), warmup: TRAINING_DEFAULTS.warmup };
  if (name === 'new' || name === 'auto') return base;
  if (name === 'zero') return { ...base, headInit: 'zero' };
  return name.split('+').reduce((r, part) => {
    const [, key, value] = /^([a-z]+)([\d.]+(?:e-?\d+)?)?$/.exec(part) ?? [];
    if (!MODIFIERS[key]) throw new Error(`unknown recipe ${name}: use old, new, auto, zero or clipN, lrN, headlrN, warmupN, batchN, even, ragged, drop joined by +`);
    return { ...r, ...MODIFIERS[key](Number(value), r) };
  }, base);
};

// The worst batch after epoch 1 against its spike threshold.
const spikeText = (s) => (s.spike
  ? `SPIKE ${s.loss.toFixed(2)} > ${s.threshold.toFixed(2)} (epoch ${s.epoch})`
  : `no spike (worst ${s.loss.toFixed(2)} of ${s.threshold.toFixed(2)})`);

const info = await runtimeInfo();
console.log(`LibTorch ${info.libtorch}, ${info.defaultDevice}, ${info.threads} threads`);
const rows = [];
const traces = [];
for await (const { name: setName, set, model, card, dataset, size, weights } of studyCases(values.sets, values.models, Number(values.size))) {
  const cutoffs = values.cutoffs ? values.cutoffs.split(',').map(Number) : [card.blocks.at(-2)];
  const strategies = [{ kind: 'ftl' }, ...cutoffs.map((k) => ({ kind: 'ttl', cutoff: k }))].filter((st) => values.strategies.split(',').includes(st.kind));
  for (const strategy of strategies)
    for (const seed of values.seeds.split(',').map(Number))
      for (const name of values.recipes.split(',')) {
        const r = recipe(name, card);
        const common = {
          model, weights, allowMissing: true, strategy, data: dataset, imageSize: size, epochs: set.epochs, batchSize: r.batchSize,
          weightDecay: 1e-4, seed, device: 'auto', resolve: { mirror: shared }, clipGradNorm: r.clipGradNorm, headInit: r.headInit,
          pretrainedLrScale: r.pretrainedLrScale, lastBatch: r.lastBatch,
          // 'old' warmed up for one whole epoch, whatever the budget.
          warmup: r.warmup ?? Math.min(0.5, 1 / set.epochs),
        };
        const start = performance.now();
        const lr = r.lr === 'auto' ? (await lrRangeTest(common)).suggested : r.lr;
        const losses = [];
        let outcome;
        try {
          const result = await finetune({
            ...common, lr, onProgress: (e) => {
              if (e.type === 'batch') losses.push({ epoch: e.epoch, loss: e.loss });
            },
          });
          outcome = { auroc: result.test.auroc, acc: result.test.accuracy, best: result.bestEpoch };
        } catch (e) {
          if (e.code !== 'E_DIVERGED') throw e;
          outcome = { auroc: NaN, acc: NaN, best: 0, diverged: true };
        }
        const spike = lossSpike(losses, dataset.classes.length);
        const row = { set: setName, model, strategy: strategy.kind === 'ftl' ? 'FTL' : `TTL k=${strategy.cutoff}`, recipe: name, seed, lr, spike, seconds: (performance.now() - start) / 1000, ...outcome };
        rows.push(row);
        traces.push({ ...row, losses: losses.map((b) => b.loss), batchesPerEpoch: losses.filter((b) => b.epoch === 1).length });
        if (values.trace) writeFileSync(values.trace, JSON.stringify(traces));
        console.log(`${setName} ${model} ${row.strategy} ${name} seed ${seed}: test AUROC ${row.auroc.toFixed(4)}, lr ${lr.toPrecision(2)}, ${spikeText(spike)}, ${row.seconds.toFixed(0)} s${row.diverged ? ' DIVERGED' : ''}`);
      }
}

console.log('\n| set | model | strategy | ' + values.recipes.split(',').map((r) => `${r} AUROC (lr, spikes)`).join(' | ') + ' |');
console.log('|---|---|---|' + values.recipes.split(',').map(() => '---|').join(''));
const groups = new Map();
for (const r of rows) groups.set(`${r.set}|${r.model}|${r.strategy}`, [...(groups.get(`${r.set}|${r.model}|${r.strategy}`) ?? []), r]);
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const wins = Object.fromEntries(values.recipes.split(',').map((r) => [r, []]));
for (const [key, list] of groups) {
  const cells = values.recipes.split(',').map((name) => {
    const own = list.filter((r) => r.recipe === name);
    wins[name].push(mean(own.map((r) => r.auroc)));
    const spikes = own.map((r) => (r.spike.spike ? `spike ${r.spike.loss.toFixed(2)}` : 'none')).join('/');
    return `${mean(own.map((r) => r.auroc)).toFixed(4)} (${own.map((r) => r.lr.toPrecision(2)).join('/')}, ${spikes})`;
  });
  console.log(`| ${key.split('|').join(' | ')} | ${cells.join(' | ')} |`);
}
console.log(`\nmean test AUROC over every row: ${Object.entries(wins).map(([name, xs]) => `${name} ${mean(xs).toFixed(4)}`).join(', ')}`);
