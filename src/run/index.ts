// ttl-torch/run: the experiment that `ttl-torch run` runs, as a library: its configuration and defaults, the
// trial plan, the journal's records, the results table and the reports. run(), resume() and report() are also in
// the root API.
export { run, resume, report, type RunOptions } from './api.js';
export { checkConfig, readSavedConfig as readRunConfig, RUN_DEFAULTS, DEMO, STRATEGY_KINDS, type RunConfig, type SizedRunConfig, type StrategyKind, type SearchMode } from './config.js';
export { executeRun, type RunCallbacks, type RunContext, type RunProgress, type StageRunner } from './runner.js';
export { planStageOne, planStageTwo, validCutoffs, type TrialSpec } from './plan.js';
export { table, summarise, type TableRow, type CutoffSummary, type Stat } from './results.js';
export { writeReports, markdownTable, type Results } from './report.js';
export type { RunData } from './run-data.js';
export type { RunThreads } from './threads.js';
export type { MetricColumn } from './task.js';
export type { Significance } from './significance.js';
export type { Interval, JournalRecord, LatencyRecord, ProbeRecord, Scores, TrialRecord } from './journal.js';
