// What a run measures per task: the table's two metric columns (the first selects cutoffs on
// validation), so the search, journal and reports need no task-specific code.
export const TASKS = ['classification', 'segmentation'] as const;
export type Task = (typeof TASKS)[number];

export interface MetricColumn {
  key: string;
  label: string;
}

export const TASK_METRICS: Record<Task, [MetricColumn, MetricColumn]> = {
  classification: [{ key: 'auroc', label: 'AUROC' }, { key: 'auprc', label: 'AUPRC' }],
  segmentation: [{ key: 'dice', label: 'Dice' }, { key: 'jaccard', label: 'Jaccard' }],
};

/** The metric columns of a run (runs saved before tasks existed are classification runs). */
export const metricsOf = (config: { task?: Task }) => TASK_METRICS[config.task ?? 'classification'];
