// A trial's class probabilities on validation and test (trials/<id>/predictions.json): what its intervals,
// the paired significance tests and the report's curves are computed from, long after the network is gone.
// A multi-label trial's file has `task: 'multilabel'` and per split the [N, L] 0/1 targets with the sigmoid
// probabilities.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageDataset } from '../data/dataset.js';
import { writeFileAtomic } from '../fs/atomic.js';
import { numberArrayProblem, readRunJsonAs } from '../fs/json.js';
import { aurocInterval, bootstrapSe, multiLabelInterval } from '../metrics/uncertainty.js';
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

export interface MultiLabelSplitPredictions {
  /** [N, L] row-major: 1 where the image has the label. */
  targets: number[];
  /** [N, L] row-major sigmoid probabilities. */
  probs: number[];
}

export interface MultiLabelPredictions {
  task: 'multilabel';
  /** The labels (findings). */
  classes: string[];
  val: MultiLabelSplitPredictions;
  test: MultiLabelSplitPredictions;
}

export type AnyPredictions = TrialPredictions | MultiLabelPredictions;

export const isMultiLabelPredictions = (p: AnyPredictions): p is MultiLabelPredictions => 'task' in p && p.task === 'multilabel';

// 9 significant digits round-trip a float32 exactly, at half the size of a double's 17.
const compact = (values: Float32Array) => Array.from(values, (v) => Number(v.toPrecision(9)));

export function savePredictions(trialDir: string, data: ImageDataset, probs: { val: Float32Array; test: Float32Array }): AnyPredictions {
  const predictions: AnyPredictions = data.val.targets && data.test.targets
    ? {
      task: 'multilabel', classes: data.classes,
      val: { targets: Array.from(data.val.targets), probs: compact(probs.val) }, test: { targets: Array.from(data.test.targets), probs: compact(probs.test) },
    }
    : {
      classes: data.classes,
      val: { labels: Array.from(data.val.labels), probs: compact(probs.val) },
      test: { labels: Array.from(data.test.labels), probs: compact(probs.test) },
    };
  writeFileAtomic(join(trialDir, 'predictions.json'), [JSON.stringify(predictions) + '\n']);
  return predictions;
}

/** The saved predictions of a trial, or null for trials journaled before predictions were kept. */
export function readPredictions(runDir: string, id: string): AnyPredictions | null {
  const path = join(runDir, 'trials', id, 'predictions.json');
  return existsSync(path) ? readRunJsonAs<AnyPredictions>(path, predictionsProblem) : null;
}

// Intervals, tests and curves index probabilities by label and class: a hand-edited or torn file must fail when
// read, naming the field, not as a NaN in the report.
function predictionsProblem(value: unknown): string | null {
  const p = value as TrialPredictions;
  if (typeof p !== 'object' || p === null) return 'the file must be an object with classes, val and test';
  if ('task' in p) return multiLabelProblem(value as MultiLabelPredictions);
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

function multiLabelProblem(p: MultiLabelPredictions): string | null {
  if (p.task !== 'multilabel') return `task must be 'multilabel' (or absent, for one class per image), not ${JSON.stringify(p.task)}`;
  if (!Array.isArray(p.classes) || !p.classes.length || !p.classes.every((c) => typeof c === 'string')) return 'classes must be an array of label names';
  const labels = p.classes.length;
  for (const split of ['val', 'test'] as const) {
    const s = p[split];
    if (typeof s !== 'object' || s === null) return `${split} must be an object with targets and probs`;
    if (!Array.isArray(s.targets) || !s.targets.length || s.targets.length % labels || !s.targets.every((t) => t === 0 || t === 1))
      return `${split}.targets must be a non-empty N x ${labels} array of 0 and 1`;
    if (numberArrayProblem(`${split}.probs`, s.probs) || s.probs.length !== s.targets.length || !s.probs.every((v) => v >= 0 && v <= 1))
      return `${split}.probs must be ${s.targets.length / labels} x ${labels} probabilities in [0, 1]`;
  }
  return null;
}

/**
 * What a single trial can say about its own uncertainty: the bootstrap standard error of its validation AUROC
 * (for the one-standard-error cutoff rule when there is one repeat) and the 95% interval of its test AUROC.
 */
export function trialUncertainty(p: AnyPredictions, seed: number): { valSe: number; testCi: Interval } {
  const k = p.classes.length;
  if (isMultiLabelPredictions(p)) {
    const ci = multiLabelInterval(p.test.targets, p.test.probs, k, seed);
    return { valSe: multiLabelInterval(p.val.targets, p.val.probs, k, seed).se, testCi: { low: ci.low, high: ci.high, method: ci.method } };
  }
  const ci = aurocInterval(p.test.labels, p.test.probs, k, seed);
  return { valSe: bootstrapSe(p.val.labels, p.val.probs, k, seed), testCi: { low: ci.low, high: ci.high, method: ci.method } };
}

/** Normal-approximation 95% interval of a mean over n cases (per-image Dice). */
export function meanInterval(mean: number, std: number, n: number): Interval {
  const half = (1.959963984540054 * std) / Math.sqrt(Math.max(1, n));
  return { low: mean - half, high: mean + half, method: 'normal' };
}
