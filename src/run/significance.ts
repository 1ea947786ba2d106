// Is a truncated network's test AUROC different from the full network's? Paired on the same test cases and
// the same seed: DeLong's test for two classes, a paired bootstrap otherwise (multi-label: of the macro AUROC).
import { compareAuroc, compareMultiLabel } from '../metrics/uncertainty.js';
import { TtlError } from '../errors.js';
import { trialRecords, type JournalRecord } from './journal.js';
import { isMultiLabelPredictions, readPredictions } from './predictions.js';
import type { TableRow } from './results.js';

export interface Significance {
  method: string;
  versus: string;
  seed: number;
  /** method's test AUROC minus versus's. */
  difference: number;
  p: number;
  test: 'delong' | 'bootstrap';
}

const trialId = (row: TableRow, seed: number) => `${row.strategy}-k${row.cutoff}-s${seed}`;

/** Every table row that is not the reference, against the reference row (FTL), seed by seed. */
export function significance(dir: string, records: JournalRecord[], rows: TableRow[], reference = 'FTL'): Significance[] {
  const base = rows.find((r) => r.method === reference);
  if (!base) return [];
  const okSeeds = (row: TableRow) =>
    new Set(trialRecords(records).filter((t) => t.status === 'ok' && t.strategy === row.strategy && t.cutoff === row.cutoff).map((t) => t.seed));
  const baseSeeds = okSeeds(base);
  const out: Significance[] = [];
  for (const row of rows) {
    if (row === base) continue;
    for (const seed of [...okSeeds(row)].filter((s) => baseSeeds.has(s)).sort((a, b) => a - b)) {
      const a = readPredictions(dir, trialId(row, seed));
      const b = readPredictions(dir, trialId(base, seed));
      if (!a || !b) continue;
      // A paired test needs the same cases in the same order; trials of one run always have them.
      const truthA = isMultiLabelPredictions(a) ? a.test.targets : a.test.labels;
      const truthB = isMultiLabelPredictions(b) ? b.test.targets : b.test.labels;
      if (isMultiLabelPredictions(a) !== isMultiLabelPredictions(b) || a.classes.length !== b.classes.length || truthA.length !== truthB.length || truthA.some((l, i) => l !== truthB[i]))
        throw new TtlError('E_BAD_RUN', `${dir}: trials ${trialId(row, seed)} and ${trialId(base, seed)} have different test cases in predictions.json`);
      const c = isMultiLabelPredictions(a)
        ? compareMultiLabel(a.test.targets, a.test.probs, b.test.probs, a.classes.length, seed)
        : compareAuroc(truthA, a.test.probs, b.test.probs, a.classes.length, seed);
      out.push({ method: row.method, versus: base.method, seed, difference: c.difference, p: c.p, test: c.method });
    }
  }
  return out;
}

/** "p = 0.41" with the precision a reader needs. */
export const formatP = (p: number) => (p < 0.001 ? 'p < 0.001' : `p = ${p < 0.01 ? p.toFixed(3) : p.toFixed(2)}`);
