// Metrics against scikit-learn 1.2 reference values (../shared/fixtures/metrics.json), to 1e-9.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { auprcTrapezoid, auroc, averagePrecision, classificationMetrics, meanStd, youdenThreshold } from '../../src/metrics/index.js';
import { fixture } from '../support/helpers.js';

const reference = JSON.parse(readFileSync(fixture('metrics.json'), 'utf8'));

describe('binary metrics match scikit-learn', () => {
  it.each(reference.binary.map((c: object, i: number) => [i, c]))('case %i', (_i, c) => {
    const { labels, scores } = c as { labels: number[]; scores: number[] };
    const ref = c as { auroc: number; average_precision: number; auprc_trapezoid: number };
    expect(Math.abs(auroc(labels, scores) - ref.auroc)).toBeLessThan(1e-9);
    expect(Math.abs(averagePrecision(labels, scores) - ref.average_precision)).toBeLessThan(1e-9);
    expect(Math.abs(auprcTrapezoid(labels, scores) - ref.auprc_trapezoid)).toBeLessThan(1e-9);
  });
});

describe('multi-class and threshold metrics', () => {
  it('one-vs-rest macro AUROC matches scikit-learn', () => {
    const { labels, probs, auroc_ovr_macro } = reference.multiclass;
    const m = classificationMetrics(labels, (probs as number[][]).flat(), 3);
    expect(Math.abs(m.auroc - auroc_ovr_macro)).toBeLessThan(1e-9);
  });

  it('sensitivity/specificity at 0.5 and at Youden’s J on a hand-checked case', () => {
    const labels = [0, 0, 0, 1, 1, 1];
    const p1 = [0.1, 0.4, 0.6, 0.3, 0.7, 0.9];
    const m = classificationMetrics(labels, p1.flatMap((p) => [1 - p, p]), 2);
    expect(m.atHalf).toMatchObject({ sensitivity: 2 / 3, specificity: 2 / 3, accuracy: 4 / 6 });
    expect(youdenThreshold(labels, p1)).toBe(0.7);
    expect(m.atYouden).toMatchObject({ threshold: 0.7, sensitivity: 2 / 3, specificity: 1 });
    expect(m.balancedAccuracy).toBeCloseTo(2 / 3, 12);
  });

  it('refuses undefined cases clearly', () => {
    expect(() => auroc([1, 1], [0.2, 0.3])).toThrow('AUROC is undefined when only one class is present (2 positives, 0 negatives)');
    expect(() => auroc([0, 2], [0.2, 0.3])).toThrow('binary labels must be 0 or 1, got 2 at 1');
  });

  it('mean ± sample std', () => {
    expect(meanStd([1, 2, 3])).toEqual({ mean: 2, std: 1, n: 3 });
  });
});
