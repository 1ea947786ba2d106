// From journal records to the paper's tables: Method | metric 1 | metric 2 | P(M) | MACs(G) | T(ms) (AUROC/AUPRC
// for classification, Dice/Jaccard for segmentation), where X-1 is the best block cutoff (stage 1) and X-2 the best
// after the stage-2 neighbour search, both chosen on the first metric's validation mean.
import { meanStd } from '../metrics/stats.js';
import type { StrategyKind } from './config.js';
import { trialRecords, type Interval, type JournalRecord, type LatencyRecord, type TrialRecord } from './journal.js';
import type { MetricColumn } from './task.js';

export interface Stat {
  mean: number;
  std: number;
  /** Repeats behind the mean (std is 0 and meaningless when n = 1). */
  n: number;
}

export interface CutoffSummary {
  strategy: StrategyKind;
  cutoff: number;
  stage: 0 | 1 | 2;
  seeds: number;
  failed: number;
  /** Validation mean ± std of the selecting (first) metric. */
  val: Stat;
  /**
   * Standard error of the validation mean: over repeats when there are several, else the trial's own
   * bootstrap SE over the validation cases (0 when the journal predates it).
   */
  valSe: number;
  /** Test mean ± std per metric key. */
  test: Record<string, Stat>;
  /**
   * 95% interval of the selecting test metric: the trial's own (DeLong / bootstrap) with one repeat, a t
   * interval of the mean over several.
   */
  testCi: Interval | null;
  params: number;
  macs: number;
}

export interface TableRow {
  method: string;
  strategy: StrategyKind;
  cutoff: number;
  test: Record<string, Stat>;
  testCi: Interval | null;
  paramsM: number;
  macsG: number;
  latencyMs: number | null;
}

/** Mean ± std per (strategy, cutoff) over the successful seeds. */
export function summarise(records: JournalRecord[], metrics: MetricColumn[]): CutoffSummary[] {
  const groups = new Map<string, TrialRecord[]>();
  for (const r of trialRecords(records)) {
    const key = `${r.strategy}:${r.cutoff}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: CutoffSummary[] = [];
  for (const trials of groups.values()) {
    const ok = trials.filter((t) => t.status === 'ok');
    if (!ok.length) continue;
    const stat = (f: (t: TrialRecord) => number): Stat => meanStd(ok.map(f));
    const val = stat((t) => t.val![metrics[0].key]);
    const test = Object.fromEntries(metrics.map((m) => [m.key, stat((t) => t.test![m.key])]));
    const primary = test[metrics[0].key];
    out.push({
      strategy: trials[0].strategy, cutoff: trials[0].cutoff, stage: Math.min(...trials.map((t) => t.stage)) as 0 | 1 | 2,
      seeds: ok.length, failed: trials.length - ok.length, val,
      valSe: ok.length > 1 ? val.std / Math.sqrt(ok.length) : (ok[0].valSe ?? 0),
      test, testCi: ok.length > 1 ? tInterval(primary) : (ok[0].testCi ?? null), params: ok[0].params!, macs: ok[0].macs!,
    });
  }
  return out.sort((a, b) => a.strategy.localeCompare(b.strategy) || a.cutoff - b.cutoff);
}

// Two-sided 97.5% quantiles of Student's t for 1..30 degrees of freedom (beyond: the normal's).
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101,
  2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** 95% t interval of a mean over n > 1 repeats. */
function tInterval(s: Stat): Interval {
  const half = (T975[s.n - 2] ?? 1.96) * (s.std / Math.sqrt(s.n));
  return { low: s.mean - half, high: s.mean + half, method: 't' };
}

/**
 * The parsimonious choice: among a strategy's cutoffs, the smallest network whose validation mean is within
 * one standard error of the best one's (the one-standard-error rule of Breiman et al.).
 */
export function withinOneSe(summaries: CutoffSummary[], strategy: StrategyKind): CutoffSummary | undefined {
  const top = best(summaries, strategy, [1, 2]);
  if (!top) return undefined;
  return summaries
    .filter((s) => s.strategy === strategy && s.stage > 0 && s.val.mean >= top.val.mean - top.valSe)
    .sort((a, b) => a.params - b.params || a.cutoff - b.cutoff)[0];
}

/** The best summary of a strategy among the given stages, by the selecting metric's validation mean. */
export function best(summaries: CutoffSummary[], strategy: StrategyKind, stages: number[]): CutoffSummary | undefined {
  return summaries
    .filter((s) => s.strategy === strategy && stages.includes(s.stage))
    .sort((a, b) => b.val.mean - a.val.mean || a.cutoff - b.cutoff)[0];
}

const ORDER: [string, StrategyKind, number[]][] = [
  ['FTL', 'ftl', [0]], ['FFE', 'ffe', [0]], ['TF-1', 'tf', [1]], ['LWFT-1', 'lwft', [1]], ['TTL-1', 'ttl', [1]],
  ['TF-2', 'tf', [1, 2]], ['LWFT-2', 'lwft', [1, 2]], ['TTL-2', 'ttl', [1, 2]],
];

function latencyOf(records: JournalRecord[], strategy: StrategyKind, cutoff: number): number | null {
  // The newest measurement wins: a later session re-times every row together.
  const t = records.filter((l): l is LatencyRecord => l.type === 'latency' && l.strategy === strategy && l.cutoff === cutoff).at(-1);
  return t ? t.medianMs : null;
}

const row = (records: JournalRecord[], method: string, s: CutoffSummary): TableRow => ({
  method, strategy: s.strategy, cutoff: s.cutoff, test: s.test, testCi: s.testCi, paramsM: s.params / 1e6, macsG: s.macs / 1e9,
  latencyMs: latencyOf(records, s.strategy, s.cutoff),
});

/** Rows in the paper's order; X-2 rows only when a stage-2 search ran. */
export function table(records: JournalRecord[], metrics: MetricColumn[]): TableRow[] {
  const summaries = summarise(records, metrics);
  const twoStage = summaries.some((s) => s.stage === 2) || trialRecords(records).some((r) => r.stage === 2);
  const rows: TableRow[] = [];
  for (const [method, strategy, stages] of ORDER) {
    if (stages.includes(2) && !twoStage) continue;
    const chosen = best(summaries, strategy, stages);
    if (chosen) rows.push(row(records, method, chosen));
  }
  const parsimonious = withinOneSe(summaries, 'ttl');
  if (parsimonious) rows.push(row(records, 'TTL-1SE', parsimonious));
  return rows;
}

/**
 * Every searched cutoff as its own row, named by the block it ends when it ends one (TTL-B2 = cut after
 * block 2, as in the paper's segmentation table), else by its unit count (TTL-k7).
 */
export function resultsByCutoff(records: JournalRecord[], metrics: MetricColumn[], blocks: number[]): TableRow[] {
  return summarise(records, metrics)
    .filter((s) => s.stage > 0)
    .map((s) => {
      const block = blocks.indexOf(s.cutoff);
      return row(records, `${s.strategy.toUpperCase()}-${block >= 0 ? `B${block + 1}` : `k${s.cutoff}`}`, s);
    });
}
