// A multi-label run's per-label results: the journal keeps each label's test AUROC (with its DeLong interval) and
// AUPRC under `metric[label]` keys; these columns summarise them like the table's own, and report.html shows them
// as one row per label and one column per method.
import { trialRecords, type JournalRecord } from './journal.js';
import type { TableRow } from './results.js';
import { esc } from './svg.js';
import { LABEL_METRICS, journaledLabels, labelMetricKey, type MetricColumn } from './task.js';

/** The micro averages and every label's metrics as extra summary columns (none for a run without labels). */
/** The labels of a multi-label run, from its first finished trial (none for a run without labels). */
function runLabels(records: JournalRecord[]): string[] {
  const first = trialRecords(records).find((r) => r.status === 'ok' && r.test);
  return first?.test ? journaledLabels(first.test) : [];
}

export function perLabelColumns(records: JournalRecord[]): MetricColumn[] {
  const labels = runLabels(records);
  if (!labels.length) return [];
  return [
    { key: 'microAuroc', label: 'micro AUROC' }, { key: 'microAuprc', label: 'micro AUPRC' },
    ...labels.flatMap((l) => LABEL_METRICS.map((m) => ({ key: labelMetricKey(m.key, l), label: `${l} ${m.label}` }))),
  ];
}

/** Test AUROC (DeLong 95% CI) / AUPRC per label and method: one row per label (means over repeats). */
export function perLabelTable(rows: TableRow[], records: JournalRecord[]): string {
  const labels = runLabels(records);
  if (!labels.length || !rows.length) return '';
  const value = (r: TableRow, metric: string, label: string) => r.test[labelMetricKey(metric, label)]?.mean.toFixed(3) ?? '-';
  const cell = (r: TableRow, label: string) =>
    `${value(r, 'auroc', label)} (${value(r, 'aurocLow', label)}-${value(r, 'aurocHigh', label)}) / ${value(r, 'auprc', label)}`;
  const micro = (r: TableRow) => `${r.test.microAuroc?.mean.toFixed(3) ?? '-'} / ${r.test.microAuprc?.mean.toFixed(3) ?? '-'}`;
  return [
    '<h2>Per label (test AUROC with its DeLong 95% CI / AUPRC as average precision)</h2>',
    `<table id="per-label"><thead><tr><th>Label</th>${rows.map((r) => `<th>${esc(r.method)}</th>`).join('')}</tr></thead><tbody>`,
    ...labels.map((l) => `<tr><td>${esc(l)}</td>${rows.map((r) => `<td>${cell(r, l)}</td>`).join('')}</tr>`),
    `<tr><td>micro average</td>${rows.map((r) => `<td>${micro(r)}</td>`).join('')}</tr>`,
    '</tbody></table>',
  ].join('\n');
}
