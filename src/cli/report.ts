import { report } from '../run/api.js';
import { markdownTable } from '../run/report.js';

/** Regenerates results and report.html from a run's journal alone. */
export function reportCommand(dir: string): void {
  const results = report(dir);
  console.log(markdownTable(results.rows, results.metrics));
}
