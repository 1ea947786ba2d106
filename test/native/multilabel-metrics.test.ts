// The multi-label metrics against scikit-learn: per-label roc_auc_score and average_precision_score and their macro
// and micro averages, computed by test/support/tools/multilabel_reference.py in the test venv (`bash scripts/setup.sh
// --test` installs scikit-learn there; TTL_TORCH_TEST_VENV, default .venv-test). Without it the comparison is skipped
// with a note naming what is missing, except under CI, where a skip would hide a break.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { delongInterval, multiLabelMetrics } from '../../src/metrics/index.js';
import { rng } from '../../src/data/split.js';
import { root } from '../support/paths.js';
import { venvLacks, venvPython } from '../support/test-venv.js';

const python = venvPython;
const lacking = venvLacks(['sklearn', 'numpy']);

// 4 labels over 60 images: prevalences from 10% to 60%, scores correlated with the truth, rounded to 2 decimals so
// that ties (which the two AUPRC conventions treat differently) occur.
const N = 60, L = 4;
const random = rng(7);
const targets = Uint8Array.from({ length: N * L }, (_, i) => (random() < [0.1, 0.3, 0.45, 0.6][i % L] ? 1 : 0));
targets[0] = 1; // label 0 has at least one positive
const probs = Float64Array.from(targets, (t) => Math.round(Math.min(1, Math.max(0, 0.35 * t + 0.65 * random())) * 100) / 100);
const labels = ['a', 'b', 'c', 'd'];
const rows = <T extends ArrayLike<number>>(m: T) => Array.from({ length: N }, (_, i) => Array.from({ length: L }, (_, l) => m[i * L + l]));

describe('multi-label metrics', () => {
  it('per label, macro and micro AUROC and AUPRC (average precision) equal scikit-learn to 1e-12', (ctx) => {
    ctx.skip(lacking !== undefined && !process.env.CI, `needs ${lacking}: bash scripts/setup.sh --test`);
    expect(lacking, `the test venv lacks ${lacking}: run bash scripts/setup.sh --test`).toBeUndefined();
    const run = spawnSync(python, [join(root, 'test', 'support', 'tools', 'multilabel_reference.py')], {
      input: JSON.stringify({ targets: rows(targets), probs: rows(probs) }), encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const expected = JSON.parse(run.stdout) as { perLabel: { auroc: number; auprc: number }[]; auroc: number; auprc: number; microAuroc: number; microAuprc: number };
    const m = multiLabelMetrics(targets, probs, labels);
    m.perLabel.forEach((l, i) => {
      expect(l.auroc).toBeCloseTo(expected.perLabel[i].auroc, 12);
      expect(l.auprc).toBeCloseTo(expected.perLabel[i].auprc, 12);
    });
    for (const key of ['auroc', 'auprc', 'microAuroc', 'microAuprc'] as const) expect(m[key], key).toBeCloseTo(expected[key], 12);
  });

  it("each label's interval is DeLong's on that label's column", () => {
    const m = multiLabelMetrics(targets, probs, labels);
    const column = (src: ArrayLike<number>, l: number) => Array.from({ length: N }, (_, i) => src[i * L + l]);
    m.perLabel.forEach((label, l) => {
      const ci = delongInterval(column(targets, l), column(probs, l));
      expect(label.aurocCi).toEqual({ low: ci.low, high: ci.high, se: ci.se });
      expect(label.positives).toBe(column(targets, l).reduce((a, b) => a + b, 0));
    });
  });

  it('a label without negatives is refused, naming it', () => {
    const all = Uint8Array.from(targets, (t, i) => (i % L === 2 ? 1 : t));
    expect(() => multiLabelMetrics(all, probs, labels)).toThrow(expect.objectContaining({ code: 'E_BAD_INPUT', message: expect.stringContaining("label 'c': AUROC is undefined") }));
  });
});
