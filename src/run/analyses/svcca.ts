// SVCCA on a finished run: per unit, pretrained vs finetuned activations against a random-init baseline,
// and cross-unit similarity inside the finetuned network. JSON + SVG in RUN/analysis/.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { TtlError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/atomic.js';
import { createModel, type Model } from '../../model.js';
import type { NativePipelineOptions, NativeTensor } from '../../native/binding.js';
import { getModelCard, normalisation } from '../../registry.js';
import { readJournal, trialRecords } from '../journal.js';
import { toStrategy } from '../plan.js';
import { loadClassificationData } from '../run-data.js';
import { readSavedConfig } from '../config.js';
import { lineChart } from '../svg.js';
import { checkAborted } from '../../train/loop.js';
import { planStrategy } from '../../train/strategies.js';
import { sliceSplit, toNativeStore } from '../../data/dataset.js';
import { svcca, svccaOfReduced, svdReduce, type Activations } from '../../analysis/svcca.js';

export interface UnitSvcca {
  k: number;
  unit: string;
  /** Mean SVCCA coefficient, pretrained vs finetuned. */
  pretrained: number;
  /** Mean SVCCA coefficient, random-init vs finetuned (the baseline). */
  random: number;
  /** Area between the two sorted coefficient curves (x normalised to [0, 1]). */
  area: number;
  pretrainedCoefs: number[];
  randomCoefs: number[];
}

export interface RunSvcca {
  trial: string;
  datapoints: number;
  units: UnitSvcca[];
  cross: { a: string; b: string; mean: number }[];
}

const toActivations = (t: NativeTensor): Activations => {
  // [N, C] float32 -> neurons x datapoints float64
  const [n, c] = t.shape;
  const data = new Float64Array(n * c);
  for (let i = 0; i < n; i++) for (let j = 0; j < c; j++) data[j * n + i] = t.data[i * c + j];
  return { data, shape: [c, n] };
};

function area(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = Math.min(a.length, b.length);
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i] - b[i];
  return s / n;
}

/** Training images a run's SVCCA uses (`ttl-torch svcca` takes up to 5000 unless told). */
export const SVCCA_SAMPLES = 1000;

/**
 * Datapoints per image: CCA needs several per neuron, so unless told, enough random positions of each conv map
 * are folded into the datapoints for the widest unit to get 6x its channels (as google/svcca does).
 */
const spatialSamples = (widest: number, samples: number) => Math.min(64, Math.ceil((6 * widest) / samples));

/**
 * Floating-point operations of runSvcca's linear algebra for units of these widths (channels), the last the
 * deepest: per unit three SVD reductions (a Gram matrix and its eigh) and two CCAs (a covariance, two eighs and
 * an SVD), then the cross-unit comparisons. On 2 Zen 4 cores: 2048 channels x 12.5k datapoints, 41 s.
 */
export function svccaFlops(widths: number[], samples: number): number {
  const n = samples * spatialSamples(Math.max(...widths), samples);
  const reduce = (d: number) => 2 * d * d * n + 10 * d ** 3;
  const cca = (a: number, b: number) => 2 * (a + b) ** 2 * n + 10 * (a ** 3 + b ** 3) + 20 * Math.min(a, b) ** 3;
  const last = widths.at(-1)!;
  const units = widths.reduce((a, d) => a + 3 * reduce(d) + 2 * cca(d, d), 0);
  return units + widths.slice(0, -1).reduce((a, d) => a + reduce(d) + reduce(last) + cca(d, last), 0);
}

/**
 * SVCCA of a finished run: a trained network's unit activations against the pretrained and a randomly initialised
 * network's, per unit; writes analysis/svcca.{json,svg} in the run directory.
 */
export async function runSvcca(
  dir: string, options: { trial?: string; units?: number[]; samples?: number; spatialSamples?: number; signal?: AbortSignal } = {},
): Promise<RunSvcca> {
  const config = readSavedConfig(dir);
  const card = getModelCard(config.model);
  const trials = trialRecords(readJournal(join(dir, 'journal.jsonl'))).filter((t) => t.status === 'ok');
  const trial = options.trial ? trials.find((t) => t.id === options.trial) : (trials.find((t) => t.strategy === 'ftl') ?? trials[0]);
  if (!trial) throw new TtlError('E_BAD_ARGUMENT', `no finished trial ${options.trial ?? ''} in ${dir}; trials: ${trials.map((t) => t.id).join(', ')}`);
  const checkpoint = join(dir, 'trials', trial.id, 'best.safetensors');
  if (!existsSync(checkpoint)) throw new TtlError('E_NO_FILE', `${checkpoint} is missing`);
  const data = await loadClassificationData(config, 'SVCCA of a run');
  const samples = Math.min(options.samples ?? 5000, data.train.labels.length);
  const store = toNativeStore(sliceSplit(data.train, 0, samples), data.kind);
  const pipeline: NativePipelineOptions = { size: config.imageSize, channels: card.input.channels, ...normalisation(card, config.weights) };

  const plan = planStrategy(card, toStrategy(card, trial.strategy, trial.cutoff));
  const finetuned = await createModel({ model: card.name, cutoff: plan.keepUnits, slimAfter: plan.slimAfter, numClasses: data.classes.length, device: config.device, weights: checkpoint });
  const pretrained = await createModel({ model: card.name, head: 'none', device: config.device, weights: config.weights ?? undefined, allowMissing: config.allowMissing });
  const random = await createModel({ model: card.name, head: 'none', device: config.device, seed: 987654 });
  const models: Model[] = [finetuned, pretrained, random];
  try {
    const units = (options.units ?? finetuned.units.map((u) => u.k)).filter((k) => k <= finetuned.k);
    const widest = Math.max(...finetuned.units.filter((u) => units.includes(u.k)).map((u) => u.outChannels));
    const spatial = options.spatialSamples ?? spatialSamples(widest, samples);
    // Checked between native calls (one feature pass per model, one CCA per unit).
    const features = async (m: Model) => {
      checkAborted(options.signal, 'SVCCA');
      return m.features(store, pipeline, units, { batchSize: 128, spatialSamples: spatial });
    };
    const [f, p, r] = [await features(finetuned), await features(pretrained), await features(random)];
    const result: RunSvcca = { trial: trial.id, datapoints: f.get(units[0])!.shape[0], units: [], cross: [] };
    for (const k of units) {
      checkAborted(options.signal, 'SVCCA');
      // The finetuned unit's reduction serves both comparisons (a quarter of the SVDs).
      const fine = await svdReduce(toActivations(f.get(k)!));
      const vsPre = await svccaOfReduced(await svdReduce(toActivations(p.get(k)!)), fine);
      const vsRandom = await svccaOfReduced(await svdReduce(toActivations(r.get(k)!)), fine);
      result.units.push({
        k, unit: card.units[k - 1], pretrained: vsPre.meanOfCoefs, random: vsRandom.meanOfCoefs, area: area(vsPre.coefs, vsRandom.coefs),
        pretrainedCoefs: [...vsPre.coefs], randomCoefs: [...vsRandom.coefs],
      });
    }
    const ends = card.blocks.filter((k) => units.includes(k));
    const last = ends.at(-1);
    for (const k of ends.slice(0, -1)) {
      const r2 = await svcca(toActivations(f.get(k)!), toActivations(f.get(last!)!));
      result.cross.push({ a: card.units[k - 1], b: card.units[last! - 1], mean: r2.meanOfCoefs });
    }
    const out = join(dir, 'analysis');
    mkdirSync(out, { recursive: true });
    writeFileAtomic(join(out, 'svcca.json'), [JSON.stringify(result, null, 2) + '\n']);
    const svg = lineChart(`SVCCA with the finetuned network (${trial.id})`, 'unit k', 'mean SVCCA', [
      { name: 'pretrained', points: result.units.map((u) => ({ x: u.k, y: u.pretrained })) },
      { name: 'random init', points: result.units.map((u) => ({ x: u.k, y: u.random })) },
    ]);
    writeFileAtomic(join(out, 'svcca.svg'), [svg]);
    return result;
  } finally {
    for (const m of models) await m.close();
  }
}
