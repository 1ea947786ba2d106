// journal.jsonl: one line per finished trial (or measurement), appended and fsync'd, so a killed run
// loses at most the trial in flight. A torn last line (killed mid-write) is ignored on reading.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { StrategyKind } from './config.js';

/** Test or validation metrics of a trial by name (auroc, auprc, ... or dice, jaccard, ...). */
export type Scores = Record<string, number>;

/** A 95% interval of a test metric: DeLong or bootstrap (AUROC), normal approximation (mean Dice), t (mean over repeats). */
export interface Interval {
  low: number;
  high: number;
  method: 'delong' | 'bootstrap' | 'normal' | 't';
}

export interface TrialRecord {
  type: 'trial';
  id: string;
  strategy: StrategyKind;
  cutoff: number;
  seed: number;
  stage: 0 | 1 | 2;
  status: 'ok' | 'failed';
  reason?: string;
  /** The head learning rate the trial trained with (an LR range test's choice under lr 'auto'). */
  lr?: number;
  val?: Scores;
  test?: Scores;
  /** Standard error of the selecting validation metric over the validation cases. */
  valSe?: number;
  /** 95% interval of the selecting test metric. */
  testCi?: Interval;
  params?: number;
  trainableParams?: number;
  macs?: number;
  bestEpoch?: number;
  trainSeconds?: number;
  imagesPerSecond?: number;
  finishedAt: string;
}

export interface LatencyRecord {
  type: 'latency';
  strategy: StrategyKind;
  cutoff: number;
  medianMs: number;
  device: string;
}

/** search 'probe': a linear probe on the pretrained features of one unit. */
export interface ProbeRecord {
  type: 'probe';
  k: number;
  unit: string;
  valAuroc: number;
  testAuroc: number;
  seconds: number;
}

export type JournalRecord = TrialRecord | LatencyRecord | ProbeRecord;

export function appendJournal(path: string, record: JournalRecord): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, JSON.stringify(record) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readJournal(path: string): JournalRecord[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim());
  const records: JournalRecord[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      records.push(JSON.parse(line));
    } catch {
      if (i !== lines.length - 1) throw new Error(`${path}: line ${i + 1} is corrupt (only the last line may be torn)`);
    }
  }
  return records;
}

export const trialRecords = (records: JournalRecord[]) => records.filter((r): r is TrialRecord => r.type === 'trial');
