// What a run measures per task: the table's two metric columns (the first selects cutoffs on
// validation), so the search, journal and reports need no task-specific code.
export const TASKS = ['classification', 'segmentation', 'multilabel'] as const;
export type Task = (typeof TASKS)[number];

export interface MetricColumn {
  key: string;
  label: string;
}

export const TASK_METRICS: Record<Task, [MetricColumn, MetricColumn]> = {
  classification: [{ key: 'auroc', label: 'AUROC' }, { key: 'auprc', label: 'AUPRC' }],
  segmentation: [{ key: 'dice', label: 'Dice' }, { key: 'jaccard', label: 'Jaccard' }],
  // Macro averages over the labels (AUPRC as average precision); the per-label values sit beside them.
  multilabel: [{ key: 'auroc', label: 'macro AUROC' }, { key: 'auprc', label: 'macro AUPRC' }],
};

/** The metric columns of a run (runs saved before tasks existed are classification runs). */
export const metricsOf = (config: { task?: Task }) => TASK_METRICS[config.task ?? 'classification'];

/** The journal key of a per-label metric of a multi-label run: `auroc[Effusion]`. */
export const labelMetricKey = (metric: string, label: string) => `${metric}[${label}]`;

/** The per-label metrics a multi-label trial journals besides the macro averages, in report order. */
export const LABEL_METRICS: MetricColumn[] = [
  { key: 'auroc', label: 'AUROC' }, { key: 'aurocLow', label: 'AUROC 95% CI low' }, { key: 'aurocHigh', label: 'AUROC 95% CI high' },
  { key: 'auprc', label: 'AUPRC' },
];

/** The labels of a multi-label run, read back from its journaled scores' keys (`auroc[<label>]`), in order. */
export function journaledLabels(scores: Record<string, unknown>): string[] {
  return Object.keys(scores).flatMap((k) => /^auroc\[(.*)\]$/s.exec(k)?.[1] ?? []);
}
