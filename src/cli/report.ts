import { resolve } from 'node:path';
import { markdownTable, writeReports } from '../run/report.js';
import { readRunConfig } from '../run/runner.js';

/** Regenerates results and report.html from a run's journal alone. */
export function reportCommand(dir: string): void {
  const results = writeReports(resolve(dir), readRunConfig(resolve(dir)));
  console.log(markdownTable(results.rows, results.metrics));
}
