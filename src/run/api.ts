// The run as a library call: what `ttl-torch run`, `run --resume` and `ttl-torch report` do, for scripts and
// services (the CLI adds flags, signals, the progress line and distributed launching on top).
import { resolve } from 'node:path';
import { checkConfig, readSavedConfig, type RunConfig } from './config.js';
import { writeReports, type Results } from './report.js';
import { executeRun, type RunCallbacks } from './runner.js';

/** A run's configuration as a caller writes it: `out` (the run folder) and any field of RunConfig to override. */
export type RunOptions = Partial<RunConfig> & { out: string };

/**
 * Runs the cutoff search and comparison that `ttl-torch run` runs, into `options.out`: every field not given
 * takes its default (RUN_DEFAULTS from ttl-torch/run), and is checked with a coded error naming it before
 * anything trains. A folder that already holds this run's journal is resumed.
 */
export async function run(options: RunOptions, callbacks: RunCallbacks = {}): Promise<Results> {
  return executeRun(checkConfig(options as Record<string, unknown>), callbacks);
}

/** Continues the run saved in `dir` with its saved configuration: journaled trials are not redone. */
export async function resume(dir: string, callbacks: RunCallbacks = {}): Promise<Results> {
  return executeRun(readSavedConfig(resolve(dir)), callbacks);
}

/** Writes results.{json,csv,md} and report.html again from the run's journal alone, and returns the results. */
export function report(dir: string): Results {
  return writeReports(resolve(dir), readSavedConfig(resolve(dir)));
}
