// DeLong intervals and paired tests against a reference written from the 1988 paper's definitions
// (test/tools/delong_reference.py: the O(m n) Mann-Whitney kernel, numpy covariances, math.erfc), and the
// bootstrap fallbacks for multi-class AUROC.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { aurocInterval, bootstrapSe, classificationMetrics, compareAuroc, compareMultiLabel, delongInterval, delongTest, multiLabelInterval, multiLabelMetrics, normalCdf } from '../../src/metrics/index.js';
import { root } from '../support/paths.js';

const debianPython = process.env.TTL_TORCH_PYTHON ?? '/usr/bin/python3';

function reference(input: object) {
  const run = spawnSync(debianPython, [join(root, 'test', 'support', 'tools', 'delong_reference.py')], { input: JSON.stringify(input), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`DeLong reference failed (needs numpy beside ${debianPython}): ${run.stderr}`);
  return JSON.parse(run.stdout) as { aurocA: number; aurocB: number; seA: number; z: number; p: number; cdf: number[] };
}

/** Two correlated noisy classifiers of a binary truth, scores rounded so that ties occur. */
function twoClassifiers(n: number, seed: number) {
  let s = seed;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const labels: number[] = [];
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = rand() < 0.4 ? 1 : 0;
    const shared = rand();
    labels.push(y);
    a.push(Math.round((y * 0.8 + shared + rand() * 0.6) * 20) / 20);
    b.push(Math.round((y * 0.5 + shared + rand() * 0.9) * 20) / 20);
  }
  return { labels, a, b };
}

describe('DeLong', () => {
  it.each([[60, 1], [250, 7], [900, 42]])('n = %i (seed %i): AUROC, SE, z and p match the paper-definition reference', (n, seed) => {
    const { labels, a, b } = twoClassifiers(n, seed);
    const ref = reference({ labels, a, b });
    const interval = delongInterval(labels, a);
    const test = delongTest(labels, a, b);
    expect(interval.auroc).toBeCloseTo(ref.aurocA, 12);
    expect(interval.se).toBeCloseTo(ref.seA, 12);
    expect(test.aurocB).toBeCloseTo(ref.aurocB, 12);
    expect(test.z).toBeCloseTo(ref.z, 10);
    expect(Math.abs(test.p - ref.p) / ref.p).toBeLessThan(1e-9);
    expect(interval.low).toBeCloseTo(Math.max(0, ref.aurocA - 1.959963984540054 * ref.seA), 12);
  });

  it('the normal CDF matches erfc over its three ranges', () => {
    const at = [-9, -5.5, -3.1, -1.2, -0.3, 0, 0.2, 0.69, 1.5, 2.9, 6];
    const ref = reference({ ...twoClassifiers(200, 3), cdfAt: at }).cdf;
    at.forEach((z, i) => expect(Math.abs(normalCdf(z) - ref[i]) / ref[i]).toBeLessThan(1e-12));
  });

  it('a classifier compared with itself has p = 1; a perfect one against chance is significant', () => {
    const { labels, a } = twoClassifiers(200, 5);
    expect(delongTest(labels, a, a).p).toBe(1);
    const perfect = labels.map((y) => y);
    const chance = labels.map((_, i) => (i * 7919) % 13);
    expect(delongTest(labels, perfect, chance).p).toBeLessThan(1e-6);
  });
});

describe('AUROC uncertainty from class probabilities', () => {
  const probsOf = (scores: number[]) => scores.flatMap((s) => [1 - s / 3, s / 3]);

  it('binary: the interval and the comparison are DeLong’s', () => {
    const { labels, a, b } = twoClassifiers(300, 11);
    const interval = aurocInterval(labels, probsOf(a), 2);
    expect(interval.method).toBe('delong');
    expect(interval.se).toBeCloseTo(delongInterval(labels, a).se, 12);
    expect(compareAuroc(labels, probsOf(a), probsOf(b), 2).p).toBeCloseTo(delongTest(labels, a, b).p, 12);
    // The bootstrap SE estimates the same spread as DeLong's.
    const se = bootstrapSe(labels, probsOf(a), 2);
    expect(Math.abs(se - interval.se) / interval.se).toBeLessThan(0.15);
  });

  it('three classes: a stratified bootstrap that contains the point estimate and is reproducible', () => {
    const labels = Array.from({ length: 240 }, (_, i) => i % 3);
    const probs = labels.flatMap((y, i) => {
      const noise = [((i * 37) % 11) / 11, ((i * 53) % 7) / 7, ((i * 29) % 5) / 5];
      const raw = noise.map((v, c) => v + (c === y ? 0.6 : 0));
      const sum = raw.reduce((s, v) => s + v, 0);
      return raw.map((v) => v / sum);
    });
    const interval = aurocInterval(labels, probs, 3);
    const auroc = classificationMetrics(labels, probs, 3).auroc;
    expect(interval.method).toBe('bootstrap');
    expect(interval.auroc).toBe(auroc);
    expect(interval.low).toBeLessThan(auroc);
    expect(interval.high).toBeGreaterThan(auroc);
    expect(aurocInterval(labels, probs, 3)).toEqual(interval);
    const shuffled = probs.map((_, i) => probs[(i + 3 * 17) % probs.length]);
    expect(compareAuroc(labels, probs, shuffled, 3).p).toBeLessThan(0.01);
    expect(compareAuroc(labels, probs, probs, 3).p).toBe(1);
  });
});

describe('multi-label macro AUROC uncertainty (bootstrap of the images)', () => {
  // Three labels: two classifiers of the same truth, A sharper than B on every label.
  const n = 200, L = 3;
  const targets = Array.from({ length: n * L }, (_, j) => (((j * 7919) % 13) + (j % L)) % 3 === 0 ? 1 : 0);
  const noisy = (amount: number) => targets.map((t, j) => Math.min(1, Math.max(0, 0.5 * t + 0.25 + amount * ((((j * 104729) % 101) / 101) - 0.5))));
  const a = noisy(0.6), b = noisy(1.6);

  it('the interval is around the macro AUROC that multiLabelMetrics computes, and reproducible', () => {
    const interval = multiLabelInterval(targets, a, L, 3);
    expect(interval.auroc).toBeCloseTo(multiLabelMetrics(targets, a, ['x', 'y', 'z']).auroc, 12);
    expect(interval.low).toBeLessThan(interval.auroc);
    expect(interval.high).toBeGreaterThan(interval.auroc);
    expect(interval.se).toBeGreaterThan(0);
    expect(multiLabelInterval(targets, a, L, 3)).toEqual(interval);
  });

  it('one label: the bootstrap SE estimates the spread DeLong gives', () => {
    const column = (v: number[]) => v.filter((_, j) => j % L === 0);
    const se = multiLabelInterval(column(targets), column(a), 1).se;
    const delong = delongInterval(column(targets), column(a)).se;
    expect(Math.abs(se - delong) / delong).toBeLessThan(0.2);
  });

  it('the paired comparison: a network against itself has p = 1, the sharper one differs significantly', () => {
    expect(compareMultiLabel(targets, a, a, L)).toMatchObject({ difference: 0, p: 1, method: 'bootstrap' });
    const c = compareMultiLabel(targets, a, b, L);
    expect(c.difference).toBeCloseTo(multiLabelMetrics(targets, a, ['x', 'y', 'z']).auroc - multiLabelMetrics(targets, b, ['x', 'y', 'z']).auroc, 12);
    expect(c.difference).toBeGreaterThan(0);
    expect(c.p).toBeLessThan(0.01);
  });
});
