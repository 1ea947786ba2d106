// How rows are chosen from the journal: on validation, the one-standard-error TTL row, n and intervals.
import { describe, expect, it } from 'vitest';
import { suggestLr, summarise, table, type TrialRecord } from '../src/index.js';
import { withinOneSe } from '../src/run/results.js';
import { TASK_METRICS } from '../src/run/task.js';

const metrics = TASK_METRICS.classification;
const trial = (strategy: 'ftl' | 'ttl', cutoff: number, seed: number, val: number, test: number, stage: 0 | 1 | 2, valSe = 0.02): TrialRecord => ({
  type: 'trial', id: `${strategy}-k${cutoff}-s${seed}`, strategy, cutoff, seed, stage, status: 'ok', val: { auroc: val, auprc: val }, test: { auroc: test, auprc: test },
  valSe, testCi: { low: test - 0.05, high: test + 0.05, method: 'delong' }, params: cutoff * 1e6, macs: cutoff * 1e8, finishedAt: '',
});

describe('cutoff selection', () => {
  const records = [trial('ftl', 17, 0, 0.9, 0.88, 0), trial('ttl', 4, 0, 0.85, 0.84, 1), trial('ttl', 8, 0, 0.905, 0.9, 1), trial('ttl', 14, 0, 0.92, 0.91, 1), trial('ttl', 13, 0, 0.91, 0.9, 2)];

  it('one repeat: TTL-1SE is the smallest cutoff within the best trial’s own validation SE', () => {
    const summaries = summarise(records, metrics);
    expect(withinOneSe(summaries, 'ttl')?.cutoff).toBe(8); // 0.905 >= 0.92 - 0.02; k = 4 is not
    const rows = table(records, metrics);
    expect(rows.map((r) => [r.method, r.cutoff])).toEqual([['FTL', 17], ['TTL-1', 14], ['TTL-2', 14], ['TTL-1SE', 8]]);
    expect(rows[0].test.auroc).toEqual({ mean: 0.88, std: 0, n: 1 });
    expect(rows[0].testCi).toEqual({ low: 0.88 - 0.05, high: 0.88 + 0.05, method: 'delong' });
  });

  it('several repeats: the SE is over repeats and the interval is a t interval of the mean', () => {
    const repeated = [trial('ttl', 4, 0, 0.86, 0.8, 1), trial('ttl', 4, 1, 0.9, 0.84, 1), trial('ttl', 8, 0, 0.9, 0.86, 1), trial('ttl', 8, 1, 0.92, 0.88, 1)];
    const summaries = summarise(repeated, metrics);
    const k8 = summaries.find((s) => s.cutoff === 8)!;
    expect(k8.valSe).toBeCloseTo(Math.SQRT2 * 0.01 / Math.SQRT2, 12); // std 0.01414 / sqrt(2)
    expect(withinOneSe(summaries, 'ttl')?.cutoff).toBe(8); // k = 4: 0.88 < 0.91 - 0.01
    const half = 12.706 * (Math.sqrt(2) * 0.01) / Math.SQRT2;
    expect(k8.testCi?.low).toBeCloseTo(0.87 - half, 10);
    expect(k8.testCi?.method).toBe('t');
  });
});

describe('LR range suggestion', () => {
  it('is a tenth of the rate at the smoothed loss minimum', () => {
    const lrs = Array.from({ length: 50 }, (_, i) => 1e-5 * 10 ** (i / 10));
    // An initial transient, a slow decline to the minimum at i = 38 (lr 0.063), then divergence.
    const loss = lrs.map((_, i) => (i < 5 ? 4 - 0.6 * i : i < 38 ? 1 - 0.01 * i : 0.62 + (i - 38) * 0.5));
    expect(suggestLr(lrs, loss)).toBeCloseTo(lrs[38] / 10, 15);
  });
});
