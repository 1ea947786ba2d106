// How sure a measured AUROC is: its 95% interval, its standard error over the evaluated cases, and whether
// two networks' AUROCs on the same cases differ. Binary tasks use DeLong (exact for the AUROC); the macro
// one-vs-rest AUROC of multi-class tasks has no DeLong form here, so a class-stratified bootstrap serves; the
// macro AUROC of multi-label tasks, a bootstrap of the images.
import { TtlError } from '../errors.js';
import { auroc as binaryAuroc } from './binary.js';
import { delongInterval, delongTest, type AurocInterval } from './delong.js';

/** An AUROC with its standard error, its 95% interval and how the interval was found. */
export interface AurocConfidence extends AurocInterval {
  method: 'delong' | 'bootstrap';
}

export interface Comparison {
  difference: number;
  p: number;
  method: 'delong' | 'bootstrap';
}

/** One-vs-rest macro AUROC, as classificationMetrics computes it, without the other metrics (called per resample). */
function macroAuroc(labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number): number {
  const n = labels.length;
  let sum = 0;
  for (let c = 0; c < numClasses; c++)
    sum += binaryAuroc(Uint8Array.from({ length: n }, (_, i) => (labels[i] === c ? 1 : 0)), Float64Array.from({ length: n }, (_, i) => probs[i * numClasses + c]));
  return sum / numClasses;
}

const aurocOf = (labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number) =>
  numClasses === 2 ? binaryAuroc(Uint8Array.from(labels), positiveScores(probs, labels.length)) : macroAuroc(labels, probs, numClasses);

const positiveScores = (probs: ArrayLike<number>, n: number) => Float64Array.from({ length: n }, (_, i) => probs[i * 2 + 1]);

/** A small seeded generator (mulberry32): the same run gives the same intervals. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resampled case indices, stratified by class so that every resample keeps every class. */
function* resamples(labels: ArrayLike<number>, count: number, seed: number): Generator<Int32Array> {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const members = byClass.get(labels[i]);
    if (members) members.push(i);
    else byClass.set(labels[i], [i]);
  }
  const next = random(seed);
  for (let r = 0; r < count; r++) {
    const picked = new Int32Array(labels.length);
    let o = 0;
    for (const members of byClass.values()) for (let i = 0; i < members.length; i++) picked[o++] = members[Math.floor(next() * members.length)];
    yield picked;
  }
}

function gather(labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number, picked: Int32Array) {
  const l = new Int32Array(picked.length);
  const p = new Float32Array(picked.length * numClasses);
  picked.forEach((src, dst) => {
    l[dst] = labels[src];
    for (let c = 0; c < numClasses; c++) p[dst * numClasses + c] = probs[src * numClasses + c];
  });
  return { l, p };
}

// Large test sets need fewer resamples for a stable standard error, and each costs a sort.
const resampleCount = (n: number) => (n > 20000 ? 200 : 1000);

function check(labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number) {
  if (probs.length !== labels.length * numClasses)
    throw new TtlError('E_BAD_INPUT', `expected ${labels.length}x${numClasses} probabilities, got ${probs.length} values`);
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];

/** The AUROC of each stratified resample of the cases, and their standard deviation. */
function bootstrap(labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number, seed: number): { values: number[]; se: number } {
  const values: number[] = [];
  for (const picked of resamples(labels, resampleCount(labels.length), seed)) {
    const { l, p } = gather(labels, probs, numClasses, picked);
    values.push(aurocOf(l, p, numClasses));
  }
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { values, se: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) };
}

/** Bootstrap standard error of the AUROC over the cases (the spread a different sample of cases would give). */
export function bootstrapSe(labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number, seed = 0): number {
  check(labels, probs, numClasses);
  return bootstrap(labels, probs, numClasses, seed).se;
}

/** The AUROC and its 95% interval: DeLong for two classes, stratified bootstrap percentiles otherwise. */
export function aurocInterval(labels: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number, seed = 0): AurocConfidence {
  check(labels, probs, numClasses);
  if (numClasses === 2) return { ...delongInterval(labels, positiveScores(probs, labels.length)), method: 'delong' };
  const auroc = aurocOf(labels, probs, numClasses);
  const { values, se } = bootstrap(labels, probs, numClasses, seed);
  values.sort((a, b) => a - b);
  return { auroc, se, low: quantile(values, 0.025), high: quantile(values, 0.975), method: 'bootstrap' };
}

/**
 * Does network A's AUROC differ from B's on the same cases? DeLong's paired test for two classes; otherwise
 * a paired stratified bootstrap of the difference (two-sided p from the share of resamples on either side of 0).
 */
export function compareAuroc(labels: ArrayLike<number>, probsA: ArrayLike<number>, probsB: ArrayLike<number>, numClasses: number, seed = 0): Comparison {
  check(labels, probsA, numClasses);
  check(labels, probsB, numClasses);
  if (numClasses === 2) {
    const t = delongTest(labels, positiveScores(probsA, labels.length), positiveScores(probsB, labels.length));
    return { difference: t.difference, p: t.p, method: 'delong' };
  }
  const difference = aurocOf(labels, probsA, numClasses) - aurocOf(labels, probsB, numClasses);
  let below = 0;
  let above = 0;
  let count = 0;
  for (const picked of resamples(labels, resampleCount(labels.length), seed)) {
    const a = gather(labels, probsA, numClasses, picked);
    const b = gather(labels, probsB, numClasses, picked);
    const d = aurocOf(a.l, a.p, numClasses) - aurocOf(b.l, b.p, numClasses);
    if (d <= 0) below++;
    if (d >= 0) above++;
    count++;
  }
  return { difference, p: Math.min(1, (2 * Math.min(below, above) + 1) / (count + 1)), method: 'bootstrap' };
}

/**
 * Macro AUROC of [N, L] 0/1 targets and probabilities over the labels that have both a positive and a negative
 * image among `picked` (a resample may lose a rare label's positives; the paired comparison drops it from both).
 */
function macroOver(targets: ArrayLike<number>, probs: ArrayLike<number>, labels: number, picked: Int32Array, defined: boolean[]): number {
  let sum = 0, count = 0;
  for (let l = 0; l < labels; l++) {
    if (!defined[l]) continue;
    const truth = Uint8Array.from(picked, (i) => targets[i * labels + l]);
    sum += binaryAuroc(truth, Float64Array.from(picked, (i) => probs[i * labels + l]));
    count++;
  }
  return sum / count;
}

/** Per label, whether the resampled images hold both classes. */
function definedLabels(targets: ArrayLike<number>, labels: number, picked: Int32Array): boolean[] {
  return Array.from({ length: labels }, (_, l) => {
    let positives = 0;
    for (const i of picked) positives += targets[i * labels + l];
    return positives > 0 && positives < picked.length;
  });
}

/** Resampled image indices (multi-label images have no one class to stratify by). */
function* imageResamples(n: number, count: number, seed: number): Generator<Int32Array> {
  const next = random(seed);
  for (let r = 0; r < count; r++) yield Int32Array.from({ length: n }, () => Math.floor(next() * n));
}

function checkMultiLabel(targets: ArrayLike<number>, probs: ArrayLike<number>, labels: number) {
  if (!labels || targets.length !== probs.length || targets.length % labels)
    throw new TtlError('E_BAD_INPUT', `expected [N, ${labels}] targets and probabilities, got ${targets.length} and ${probs.length} values`);
}

/**
 * Multi-label: the macro AUROC, its bootstrap standard error and 95% percentile interval, from resamples of the
 * images (each resample's macro over the labels it keeps both classes of).
 */
export function multiLabelInterval(targets: ArrayLike<number>, probs: ArrayLike<number>, labels: number, seed = 0): AurocConfidence {
  checkMultiLabel(targets, probs, labels);
  const n = targets.length / labels;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const auroc = macroOver(targets, probs, labels, all, definedLabels(targets, labels, all));
  const values: number[] = [];
  for (const picked of imageResamples(n, resampleCount(n), seed)) values.push(macroOver(targets, probs, labels, picked, definedLabels(targets, labels, picked)));
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const se = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
  values.sort((a, b) => a - b);
  return { auroc, se, low: quantile(values, 0.025), high: quantile(values, 0.975), method: 'bootstrap' };
}

/**
 * Multi-label: does network A's macro AUROC differ from B's on the same images? A paired bootstrap of the
 * difference (both networks scored on the same resample and the same labels), two-sided p as compareAuroc's.
 */
export function compareMultiLabel(targets: ArrayLike<number>, probsA: ArrayLike<number>, probsB: ArrayLike<number>, labels: number, seed = 0): Comparison {
  checkMultiLabel(targets, probsA, labels);
  checkMultiLabel(targets, probsB, labels);
  const n = targets.length / labels;
  const all = Int32Array.from({ length: n }, (_, i) => i);
  const everyLabel = definedLabels(targets, labels, all);
  const difference = macroOver(targets, probsA, labels, all, everyLabel) - macroOver(targets, probsB, labels, all, everyLabel);
  let below = 0, above = 0, count = 0;
  for (const picked of imageResamples(n, resampleCount(n), seed)) {
    const defined = definedLabels(targets, labels, picked);
    const d = macroOver(targets, probsA, labels, picked, defined) - macroOver(targets, probsB, labels, picked, defined);
    if (d <= 0) below++;
    if (d >= 0) above++;
    count++;
  }
  return { difference, p: Math.min(1, (2 * Math.min(below, above) + 1) / (count + 1)), method: 'bootstrap' };
}
