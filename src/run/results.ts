// From journal records to the paper's table: Method | AUROC | AUPRC | P(M) | MACs(G) | T(ms), where X-1 is
// the best block cutoff (stage 1) and X-2 the best after the stage-2 neighbour search, chosen on validation.
import { meanStd } from '../metrics/classification.js';
import type { StrategyKind } from './config.js';
import { trialRecords, type JournalRecord, type LatencyRecord, type TrialRecord } from './journal.js';

export interface CutoffSummary {
  strategy: StrategyKind;
  cutoff: number;
  stage: 0 | 1 | 2;
  seeds: number;
  failed: number;
  valAuroc: { mean: number; std: number };
  auroc: { mean: number; std: number };
  auprc: { mean: number; std: number };
  params: number;
  macs: number;
}

export interface TableRow {
  method: string;
  strategy: StrategyKind;
  cutoff: number;
  auroc: { mean: number; std: number };
  auprc: { mean: number; std: number };
  paramsM: number;
  macsG: number;
  latencyMs: number | null;
}

/** Mean ± std per (strategy, cutoff) over the successful seeds. */
export function summarise(records: JournalRecord[]): CutoffSummary[] {
  const groups = new Map<string, TrialRecord[]>();
  for (const r of trialRecords(records)) {
    const key = `${r.strategy}:${r.cutoff}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const out: CutoffSummary[] = [];
  for (const trials of groups.values()) {
    const ok = trials.filter((t) => t.status === 'ok');
    if (!ok.length) continue;
    const stat = (f: (t: TrialRecord) => number) => {
      const { mean, std } = meanStd(ok.map(f));
      return { mean, std };
    };
    out.push({
      strategy: trials[0].strategy, cutoff: trials[0].cutoff, stage: Math.min(...trials.map((t) => t.stage)) as 0 | 1 | 2,
      seeds: ok.length, failed: trials.length - ok.length, valAuroc: stat((t) => t.val!.auroc), auroc: stat((t) => t.test!.auroc),
      auprc: stat((t) => t.test!.auprc), params: ok[0].params!, macs: ok[0].macs!,
    });
  }
  return out.sort((a, b) => a.strategy.localeCompare(b.strategy) || a.cutoff - b.cutoff);
}

/** The best summary of a strategy among the given stages, by mean validation AUROC. */
export function best(summaries: CutoffSummary[], strategy: StrategyKind, stages: number[]): CutoffSummary | undefined {
  return summaries
    .filter((s) => s.strategy === strategy && stages.includes(s.stage))
    .sort((a, b) => b.valAuroc.mean - a.valAuroc.mean || a.cutoff - b.cutoff)[0];
}

const ORDER: [string, StrategyKind, number[]][] = [
  ['FTL', 'ftl', [0]], ['FFE', 'ffe', [0]], ['TF-1', 'tf', [1]], ['LWFT-1', 'lwft', [1]], ['TTL-1', 'ttl', [1]],
  ['TF-2', 'tf', [1, 2]], ['LWFT-2', 'lwft', [1, 2]], ['TTL-2', 'ttl', [1, 2]],
];

/** Rows in the paper's order; X-2 rows only when a stage-2 search ran. */
export function table(records: JournalRecord[]): TableRow[] {
  const summaries = summarise(records);
  const twoStage = summaries.some((s) => s.stage === 2) || trialRecords(records).some((r) => r.stage === 2);
  const latency = records.filter((r): r is LatencyRecord => r.type === 'latency');
  const rows: TableRow[] = [];
  for (const [method, strategy, stages] of ORDER) {
    if (stages.includes(2) && !twoStage) continue;
    const chosen = best(summaries, strategy, stages);
    if (!chosen) continue;
    const t = latency.find((l) => l.strategy === strategy && l.cutoff === chosen.cutoff);
    rows.push({
      method, strategy, cutoff: chosen.cutoff, auroc: chosen.auroc, auprc: chosen.auprc, paramsM: chosen.params / 1e6,
      macsG: chosen.macs / 1e9, latencyMs: t ? t.medianMs : null,
    });
  }
  return rows;
}
