// From journal records to the paper's tables: Method | metric 1 | metric 2 | P(M) | MACs(G) | T(ms) (AUROC/AUPRC
// for classification, Dice/Jaccard for segmentation), where X-1 is the best block cutoff (stage 1) and X-2 the best
// after the stage-2 neighbour search, both chosen on the first metric's validation mean.
import { meanStd } from '../metrics/classification.js';
import type { StrategyKind } from './config.js';
import { trialRecords, type JournalRecord, type LatencyRecord, type TrialRecord } from './journal.js';
import type { MetricColumn } from './task.js';

export interface Stat {
  mean: number;
  std: number;
}

export interface CutoffSummary {
  strategy: StrategyKind;
  cutoff: number;
  stage: 0 | 1 | 2;
  seeds: number;
  failed: number;
  /** Validation mean ± std of the selecting (first) metric. */
  val: Stat;
  /** Test mean ± std per metric key. */
  test: Record<string, Stat>;
  params: number;
  macs: number;
}

export interface TableRow {
  method: string;
  strategy: StrategyKind;
  cutoff: number;
  test: Record<string, Stat>;
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
    const stat = (f: (t: TrialRecord) => number): Stat => {
      const { mean, std } = meanStd(ok.map(f));
      return { mean, std };
    };
    out.push({
      strategy: trials[0].strategy, cutoff: trials[0].cutoff, stage: Math.min(...trials.map((t) => t.stage)) as 0 | 1 | 2,
      seeds: ok.length, failed: trials.length - ok.length, val: stat((t) => t.val![metrics[0].key]),
      test: Object.fromEntries(metrics.map((m) => [m.key, stat((t) => t.test![m.key])])), params: ok[0].params!, macs: ok[0].macs!,
    });
  }
  return out.sort((a, b) => a.strategy.localeCompare(b.strategy) || a.cutoff - b.cutoff);
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
  method, strategy: s.strategy, cutoff: s.cutoff, test: s.test, paramsM: s.params / 1e6, macsG: s.macs / 1e9,
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
  return rows;
}

/**
 * Every searched cutoff as its own row, named by the block it ends when it ends one (TTL-B2 = cut after
 * block 2, as in the paper's segmentation table), else by its unit count (TTL-k7).
 */
export function cutoffTable(records: JournalRecord[], metrics: MetricColumn[], blocks: number[]): TableRow[] {
  return summarise(records, metrics)
    .filter((s) => s.stage > 0)
    .map((s) => {
      const block = blocks.indexOf(s.cutoff);
      return row(records, `${s.strategy.toUpperCase()}-${block >= 0 ? `B${block + 1}` : `k${s.cutoff}`}`, s);
    });
}
