// Seeded stratified train/val/test assignment; with patient ids, whole patients move together.
import { TtlError } from '../errors.js';

export type SplitName = 'train' | 'val' | 'test';

export interface SplitFractions {
  val: number;
  test: number;
}

/** mulberry32: a small seeded PRNG, so splits are reproducible from the seed alone. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * Assigns each item to a split. Items are grouped by `group` (the patient; each item its own group
 * when absent); groups are stratified by their majority label and shuffled with `seed`.
 */
export function stratifiedSplit(labels: number[], groups: (string | undefined)[], fractions: SplitFractions, seed: number): SplitName[] {
  if (fractions.val < 0 || fractions.test < 0 || fractions.val + fractions.test >= 1)
    throw new TtlError('E_BAD_ARGUMENT', `split fractions val=${fractions.val} test=${fractions.test} must be >= 0 and sum below 1`);
  const members = new Map<string, number[]>();
  labels.forEach((_, i) => {
    const key = groups[i] ?? `#${i}`;
    members.set(key, [...(members.get(key) ?? []), i]);
  });
  const byLabel = new Map<number, string[]>();
  for (const [key, items] of members) {
    const counts = new Map<number, number>();
    for (const i of items) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
    const majority = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0][0];
    byLabel.set(majority, [...(byLabel.get(majority) ?? []), key]);
  }
  const random = rng(seed);
  const out = new Array<SplitName>(labels.length);
  for (const label of [...byLabel.keys()].sort((a, b) => a - b)) {
    const keys = shuffle(byLabel.get(label)!.sort(), random);
    const nTest = Math.round(keys.length * fractions.test);
    const nVal = Math.round(keys.length * fractions.val);
    keys.forEach((key, j) => {
      const split: SplitName = j < nTest ? 'test' : j < nTest + nVal ? 'val' : 'train';
      for (const i of members.get(key)!) out[i] = split;
    });
  }
  return out;
}
