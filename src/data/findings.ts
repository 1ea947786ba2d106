// Multi-label manifests: each row names the findings its image has, either in one cell of separated findings (NIH
// ChestX-ray14's Data_Entry_2017.csv: `Finding Labels` = "Effusion|Infiltration", "No Finding" for none) or as one
// 0/1 column per label (CheXpert-style). The rows' findings become a multi-hot [N, L] matrix.
import { TtlError } from '../errors.js';

/** How a multi-label manifest's findings are written. */
export interface FindingsOptions {
  /** Between the findings of one cell (default '|'). */
  separator?: string;
  /** The cell value meaning "no finding", the empty set (default 'No Finding'). */
  none?: string;
  /** Whether an image may have no finding at all (default true: NIH's 'No Finding' rows are negatives for every label). */
  allowEmpty?: boolean;
}

/** Where a manifest's multi-label truth is: a findings column, or one 0/1 column per label. */
export interface FindingColumns {
  labels?: string;
  labelColumns?: string[];
}

export const DEFAULT_SEPARATOR = '|';
export const DEFAULT_NONE = 'No Finding';

/** The findings of one row; E_BAD_INPUT naming the row for an empty cell or a 0/1 column holding anything else. */
export function rowFindings(row: Record<string, string>, origin: string, columns: FindingColumns, options: FindingsOptions = {}): string[] {
  if (columns.labelColumns) {
    return columns.labelColumns.filter((column) => {
      const cell = row[column].trim();
      if (cell === '1' || cell === '1.0') return true;
      if (cell === '0' || cell === '0.0') return false;
      throw new TtlError('E_BAD_INPUT', `${origin}: label column '${column}' holds '${row[column]}'; each label column holds 0 or 1`);
    });
  }
  const column = columns.labels!;
  const cell = row[column].trim();
  if (!cell) throw new TtlError('E_BAD_INPUT', `${origin}: the findings column '${column}' is empty; write '${options.none ?? DEFAULT_NONE}' for an image without findings`);
  if (cell === (options.none ?? DEFAULT_NONE)) return [];
  const findings = cell.split(options.separator ?? DEFAULT_SEPARATOR).map((f) => f.trim());
  if (findings.some((f) => !f)) throw new TtlError('E_BAD_INPUT', `${origin}: '${cell}' has an empty finding between separators`);
  if (findings.includes(options.none ?? DEFAULT_NONE))
    throw new TtlError('E_BAD_INPUT', `${origin}: '${cell}' lists '${options.none ?? DEFAULT_NONE}' together with findings`);
  return [...new Set(findings)];
}

/**
 * A single-label manifest whose label column holds separated findings in some rows: the multi-label form mixed into
 * a single-label column (or a multi-label manifest read without naming its findings column). Names both rows.
 */
export function checkSingleLabelColumn(cells: { label: string; origin: string }[], column: string, separator = DEFAULT_SEPARATOR): void {
  const multi = cells.find((c) => c.label.includes(separator));
  if (!multi) return;
  const single = cells.find((c) => !c.label.includes(separator));
  const where = single ? ` while ${single.origin} has the single label '${single.label}'` : '';
  throw new TtlError('E_BAD_INPUT', `${multi.origin}: label '${multi.label}' lists several '${separator}'-separated findings${where}; ` +
    `the '${column}' column is read as one class per image: a multi-label manifest names its findings column (columns.labels)`);
}

/** The [N, L] multi-hot matrix of the rows' findings over `labels` (every finding must be one of them). */
export function multiHot(findings: string[][], labels: string[]): Uint8Array {
  const index = new Map(labels.map((l, i) => [l, i]));
  const out = new Uint8Array(findings.length * labels.length);
  findings.forEach((row, i) => {
    for (const f of row) out[i * labels.length + index.get(f)!] = 1;
  });
  return out;
}

/**
 * One stratum per row for a seeded split of a multi-label set: its rarest finding (or L for none), so that every
 * label, the rare ones first, reaches each split in proportion.
 */
export function findingStrata(targets: Uint8Array, labels: number): number[] {
  const n = targets.length / labels;
  const frequency = new Array<number>(labels).fill(0);
  for (let i = 0; i < targets.length; i++) frequency[i % labels] += targets[i];
  return Array.from({ length: n }, (_, i) => {
    let rarest = labels;
    for (let l = 0; l < labels; l++)
      if (targets[i * labels + l] && (rarest === labels || frequency[l] < frequency[rarest])) rarest = l;
    return rarest;
  });
}
