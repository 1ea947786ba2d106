// A trial's class probabilities on validation and test (trials/<id>/predictions.json): what its intervals,
// the paired significance tests and the report's curves are computed from, long after the network is gone.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from '../data/dataset.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { numberArrayProblem, readRunJsonAs } from '../fs/json.js';
import { aurocInterval, bootstrapSe } from '../metrics/uncertainty.js';
import type { Interval } from './journal.js';

export interface SplitPredictions {
  labels: number[];
  /** [N, C] row-major class probabilities. */
  probs: number[];
}

export interface TrialPredictions {
  classes: string[];
  val: SplitPredictions;
  test: SplitPredictions;
}

// 9 significant digits round-trip a float32 exactly, at half the size of a double's 17.
const compact = (values: Float32Array) => Array.from(values, (v) => Number(v.toPrecision(9)));

export function savePredictions(trialDir: string, data: ImageDataset, probs: { val: Float32Array; test: Float32Array }): TrialPredictions {
  const predictions: TrialPredictions = {
    classes: data.classes,
    val: { labels: Array.from(data.val.labels), probs: compact(probs.val) },
    test: { labels: Array.from(data.test.labels), probs: compact(probs.test) },
  };
  writeFileAtomic(join(trialDir, 'predictions.json'), [JSON.stringify(predictions) + '\n']);
  return predictions;
}

/** The saved predictions of a trial, or null for trials journaled before predictions were kept. */
export function readPredictions(runDir: string, id: string): TrialPredictions | null {
  const path = join(runDir, 'trials', id, 'predictions.json');
  return existsSync(path) ? readRunJsonAs<TrialPredictions>(path, predictionsProblem) : null;
}

// Intervals, tests and curves index probabilities by label and class: a hand-edited or torn file must fail when
// read, naming the field, not as a NaN in the report.
function predictionsProblem(value: unknown): string | null {
  const p = value as TrialPredictions;
  if (typeof p !== 'object' || p === null) return 'the file must be an object with classes, val and test';
  if (!Array.isArray(p.classes) || p.classes.length < 2 || !p.classes.every((c) => typeof c === 'string'))
    return 'classes must be an array of at least 2 class names';
  const k = p.classes.length;
  for (const split of ['val', 'test'] as const) {
    const s = p[split];
    if (typeof s !== 'object' || s === null) return `${split} must be an object with labels and probs`;
    if (!Array.isArray(s.labels) || !s.labels.length || !s.labels.every((l) => Number.isInteger(l) && l >= 0 && l < k))
      return `${split}.labels must be a non-empty array of class indices in [0, ${k})`;
    if (numberArrayProblem(`${split}.probs`, s.probs) || s.probs.length !== s.labels.length * k || !s.probs.every((v) => v >= 0 && v <= 1))
      return `${split}.probs must be ${s.labels.length} x ${k} probabilities in [0, 1]`;
  }
  return null;
}

/**
 * What a single trial can say about its own uncertainty: the bootstrap standard error of its validation AUROC
 * (for the one-standard-error cutoff rule when there is one repeat) and the 95% interval of its test AUROC.
 */
export function trialUncertainty(p: TrialPredictions, seed: number): { valSe: number; testCi: Interval } {
  const k = p.classes.length;
  const ci = aurocInterval(p.test.labels, p.test.probs, k, seed);
  return { valSe: bootstrapSe(p.val.labels, p.val.probs, k, seed), testCi: { low: ci.low, high: ci.high, method: ci.method } };
}

/** Normal-approximation 95% interval of a mean over n cases (per-image Dice). */
export function meanInterval(mean: number, std: number, n: number): Interval {
  const half = (1.959963984540054 * std) / Math.sqrt(Math.max(1, n));
  return { low: mean - half, high: mean + half, method: 'normal' };
}
