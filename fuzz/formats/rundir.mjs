// Run directories as `ttl-torch report` and `--resume` read them: config.json, journal.jsonl and
// per-trial curves.json, then hand edits and crashes: bad option values (repeats 1e9, search 'bogus'
// or [99], strategies as a string or a number), torn, null, 42 or [] journal lines, trials without
// metrics, duplicated trials, and corrupt curves and predictions.
import { INTERESTING } from '../rng.mjs';

const config = () => ({
  out: '/placeholder', task: 'classification', data: 'breastmnist', classes: null, intensity: 'minmax', volumeShape: null, spacing: null,
  slices: false, model: 'squeezenet1_1', weights: 'imagenet', allowMissing: false, strategies: ['ftl', 'ttl'], search: 'block', radius: 1,
  probeTop: 3, repeats: 1, seed: 0, epochs: 1, imageSize: 32, batchSize: 32, lr: 0.003, pretrainedLrScale: 1, optimizer: 'sgd',
  weightDecay: 1e-4, warmupEpochs: 1, patience: 100, autocast: '', augment: true, device: 'auto', createdAt: '2026-12-01T00:00:00Z', node: 'v20',
});

const trial = (strategy, cutoff) => ({
  type: 'trial', id: `${strategy}-k${cutoff}-s0`, strategy, cutoff, seed: 0, stage: strategy === 'ftl' ? 0 : 1, status: 'ok',
  val: { auroc: 0.8 + cutoff / 100, auprc: 0.9, averagePrecision: 0.9, accuracy: 0.8, balancedAccuracy: 0.7 },
  test: { auroc: 0.75 + cutoff / 100, auprc: 0.85, averagePrecision: 0.85, accuracy: 0.75, balancedAccuracy: 0.7 },
  params: 1000 * cutoff, trainableParams: 1000 * cutoff, macs: 1e6 * cutoff, bestEpoch: 1, trainSeconds: 1.5, imagesPerSecond: 300,
  finishedAt: '2026-12-01T00:00:00Z',
});

export function generate(r) {
  const cfg = config();
  const records = [trial('ftl', 9), trial('ttl', 3), trial('ttl', 5), trial('ttl', 9), { type: 'latency', strategy: 'ttl', cutoff: 5, medianMs: 1.2, device: 'cpu' }];
  let lines = records.map((x) => JSON.stringify(x));
  let configText = null;
  let curves = JSON.stringify([{ epoch: 1, trainLoss: 0.5, val: 0.8 }]);
  const split = (n) => ({ labels: Array.from({ length: n }, (_, i) => i % 2), probs: Array.from({ length: 2 * n }, (_, i) => (i % 2 ? 0.3 : 0.7)) });
  const predictions = { classes: ['benign', 'malignant'], val: split(6), test: split(8) };
  let predictionsText = null;
  let tail = '\n';
  for (let m = r.int(4) - 1; m >= 0; m--) {
    switch (r.int(13)) {
      case 0: cfg[r.pick(['repeats', 'epochs', 'imageSize', 'batchSize', 'radius', 'seed'])] = r.pick([...INTERESTING, 1e9, 0.5, '3', null]); break;
      case 1: cfg.search = r.pick(['bogus', [99], [], [0], 'k=', 'k=3,99', 42, null, ['x']]); break;
      case 2: cfg.strategies = r.pick(['ftl,ttl', 'ttl', 7, [], ['ttl', 'zzz'], null, [[]]]); break;
      case 3: cfg.model = r.pick(['resnet51', '', 7, null, '__proto__']); break;
      case 4: configText = r.pick(['{"repeats": 1', '', 'null', '[]', '42', '{"model": "squeezenet1_1", "model": "resnet18"}']); break;
      case 5: tail = r.pick(['', '\n{"type":"trial","id":"ttl-k7-s0","stra']); break; // torn writes
      case 6: lines.splice(r.int(lines.length + 1), 0, r.pick(['null', '42', '[]', '"trial"', '{}', '{"type":"trial"}', '{', 'NaN'])); break;
      case 7: { const t = { ...trial('ttl', 7) }; delete t[r.pick(['val', 'test', 'id', 'strategy', 'status'])]; lines.push(JSON.stringify(t)); break; }
      case 8: lines.push(lines[r.int(4)]); break; // a trial journaled twice
      case 9: { const t = trial('ttl', 7); t.val = r.pick([{}, { auroc: 'high' }, { foo: 1 }, null]); t.cutoff = r.pick([7, -1, 0.5, 99]); lines.push(JSON.stringify(t)); break; }
      case 10: curves = r.pick(['', '{', 'null', '[{"epoch": "x"}]', '42']); break;
      case 11: {
        const p = structuredClone(predictions);
        const s = p[r.pick(['val', 'test'])];
        switch (r.int(6)) {
          case 0: s.labels[r.int(s.labels.length)] = r.pick([2, -1, 0.5, 'x', null, 1e9]); break;
          case 1: s.probs.splice(r.int(s.probs.length), 1); break;
          case 2: s.probs[r.int(s.probs.length)] = r.pick([NaN, -0.1, 7, 'x', null]); break;
          case 3: p.classes = r.pick([[], ['a'], 'ab', [1, 2], null]); break;
          case 4: s.labels = []; s.probs = []; break;
          default: predictionsText = r.pick(['', '{', 'null', '[]', '42', '{"classes":["a","b"]}']); break;
        }
        predictionsText ??= JSON.stringify(p);
        break;
      }
      default: lines = lines.concat(Array.from({ length: 500 }, (_, i) => JSON.stringify({ ...trial('ttl', 1 + (i % 9)), id: `ttl-k${1 + (i % 9)}-s${i}`, seed: i }))); break;
    }
  }
  const files = [
    { path: 'run/config.json', data: Buffer.from(configText ?? JSON.stringify(cfg, null, 2)) },
    { path: 'run/journal.jsonl', data: Buffer.from(lines.join('\n') + tail) },
    ...['ftl-k9-s0', 'ttl-k3-s0', 'ttl-k5-s0', 'ttl-k9-s0'].flatMap((id, i) => [
      { path: `run/trials/${id}/curves.json`, data: Buffer.from(curves) },
      // One trial's predictions take the mutation; the others stay valid, so paired tests still run.
      { path: `run/trials/${id}/predictions.json`, data: Buffer.from(i === 1 && predictionsText !== null ? predictionsText : JSON.stringify(predictions)) },
    ]),
  ];
  return { files, entry: 'run' };
}
