// Writes results.{json,csv,md} and a self-contained report.html from the journal alone.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import { readCurves, readLrRange } from './trial-files.js';
import type { RunConfig } from './config.js';
import { readJournal, trialRecords } from './journal.js';
import { getModelCard } from '../registry.js';
import { resultsByCutoff, summarise, table, type Stat, type TableRow } from './results.js';
import { chosenPredictions, confusionTables, curveCharts, plainSummary } from './figures.js';
import { formatP, significance, type Significance } from './significance.js';
import { esc, lineChart, type Series } from './svg.js';
import { metricsOf, type MetricColumn } from './task.js';
import { perLabelColumns, perLabelTable } from './per-label.js';

// One repeat has no spread: its std would print as a misleading "± 0.0000".
const pm = (s: Stat) => (s.n > 1 ? `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}` : s.mean.toFixed(4));
const interval = (r: TableRow) => (r.testCi ? `${r.testCi.low.toFixed(3)}-${r.testCi.high.toFixed(3)}` : '-');

/** The cells of a row after its method: metrics, the first metric's 95% CI, n, P(M), MACs(G), T(ms), cutoff. */
const cells = (r: TableRow, metrics: MetricColumn[]) => [
  ...metrics.map((m) => pm(r.test[m.key])), interval(r), String(r.test[metrics[0].key].n), r.paramsM.toFixed(3), r.macsG.toFixed(4),
  r.latencyMs === null ? '-' : r.latencyMs.toFixed(2), String(r.cutoff),
];
const headers = (metrics: MetricColumn[]) => ['Method', ...metrics.map((m) => m.label), `${metrics[0].label} 95% CI`, 'n', 'P(M)', 'MACs(G)', 'T(ms)', 'cutoff k'];

/** The results table (one row per method and cutoff) as Markdown. */
export function markdownTable(rows: TableRow[], metrics: MetricColumn[]): string {
  const head = headers(metrics);
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---|').join('')}`, ...rows.map((r) => `| ${[r.method, ...cells(r, metrics)].join(' | ')} |`)];
  return lines.join('\n') + '\n';
}

function csv(rows: TableRow[], metrics: MetricColumn[]): string {
  const head = ['method', 'cutoff', 'n', ...metrics.flatMap((m) => [`${m.key}_mean`, `${m.key}_std`]), `${metrics[0].key}_ci_low`, `${metrics[0].key}_ci_high`, 'params_m', 'macs_g', 'latency_ms'].join(',');
  return [head, ...rows.map((r) => [
    r.method, r.cutoff, r.test[metrics[0].key].n, ...metrics.flatMap((m) => [r.test[m.key].mean, r.test[m.key].n > 1 ? r.test[m.key].std : '']),
    r.testCi?.low ?? '', r.testCi?.high ?? '', r.paramsM, r.macsG, r.latencyMs ?? '',
  ].join(','))].join('\n') + '\n';
}

function htmlTable(id: string, rows: TableRow[], metrics: MetricColumn[]): string {
  return [
    `<table id="${id}"><thead><tr>${headers(metrics).map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>`,
    ...rows.map((r) => `<tr>${[r.method, ...cells(r, metrics)].map((c) => `<td>${c}</td>`).join('')}</tr>`),
    '</tbody></table>',
  ].join('\n');
}


/** Whole powers of ten within the values' range, as log10 positions. */
function decades(values: number[]): number[] {
  const logs = values.map(Math.log10);
  const out: number[] = [];
  for (let d = Math.ceil(Math.min(...logs)); d <= Math.floor(Math.max(...logs)); d++) out.push(d);
  return out;
}

export interface Results {
  config: RunConfig;
  /** The table's metric columns; the first selected cutoffs on validation. */
  metrics: MetricColumn[];
  rows: TableRow[];
  /** Every searched cutoff as a row (TTL-B1, TTL-B2, ... at block boundaries). */
  cutoffRows: TableRow[];
  cutoffs: ReturnType<typeof summarise>;
  failed: { id: string; reason: string }[];
  /** Each row against FTL on the same test cases and seed (classification). */
  significance: Significance[];
  /** The plain-language summary at the top of report.html. */
  summary: string;
}

/** The data's name for a title: a catalogue name as is, a path by its file or folder name. */
const dataName = (data: string) => basename(data.replace(/[/\\]+$/, ''));

/** (Re)writes a run directory's results.{json,csv,md} and report.html from its journal; returns the results. */
export function writeReports(dir: string, config: RunConfig): Results {
  const records = readJournal(join(dir, 'journal.jsonl'));
  const metrics = metricsOf(config);
  const [primary] = metrics;
  // A multi-label run's rows also summarise the micro averages and each label (results.json; the per-label table).
  const rows = table(records, [...metrics, ...perLabelColumns(records)]);
  const cutoffRows = resultsByCutoff(records, metrics, getModelCard(config.model).blocks);
  const cutoffs = summarise(records, metrics);
  const failed = trialRecords(records).filter((r) => r.status === 'failed').map((r) => ({ id: r.id, reason: r.reason ?? '' }));
  // The paired tests read classification and multi-label predictions; curves and confusion tables single-label ones.
  const classification = config.task === 'classification';
  const compared = classification || config.task === 'multilabel';
  const tests = compared ? significance(dir, records, rows) : [];
  const summary = compared ? plainSummary(rows, tests, primary) : '';
  const results: Results = { config, metrics, rows, cutoffRows, cutoffs, failed, significance: tests, summary };
  const title = `${config.model} on ${dataName(config.data)}`;
  const chosen = classification ? chosenPredictions(dir, rows, config.seed) : [];
  writeFileAtomic(join(dir, 'results.json'), [JSON.stringify(results, null, 2) + '\n']);
  writeFileAtomic(join(dir, 'results.csv'), [csv(rows, metrics)]);
  writeFileAtomic(join(dir, 'results.md'), [
    `# ${title}\n\n${summary ? `${summary}\n\n` : ''}` + markdownTable(rows, metrics) + (cutoffRows.length ? `\n## Every searched cutoff\n\n${markdownTable(cutoffRows, metrics)}` : ''),
  ]);

  const strategies = [...new Set(cutoffs.map((c) => c.strategy))];
  const bySearch = (f: (c: (typeof cutoffs)[number]) => { y: number; err?: number }): Series[] =>
    strategies.map((s) => ({ name: s.toUpperCase(), points: cutoffs.filter((c) => c.strategy === s).map((c) => ({ x: c.cutoff, ...f(c) })) }));
  const curves: Series[] = trialRecords(records)
    .filter((r) => r.status === 'ok' && existsSync(join(dir, 'trials', r.id, 'curves.json')))
    .map((r) => ({
      name: r.id,
      points: readCurves(join(dir, 'trials', r.id, 'curves.json')).map((c) => ({ x: c.epoch, y: c.val })),
    }));
  const ranges = trialRecords(records)
    .filter((r) => r.status === 'ok' && existsSync(join(dir, 'trials', r.id, 'lr-range.json')))
    .map((r) => ({ id: r.id, range: readLrRange(join(dir, 'trials', r.id, 'lr-range.json')) }));
  const rangeChart = ranges.length
    ? lineChart('LR range test (smoothed training loss)', 'log10 learning rate', 'loss',
      ranges.map(({ id, range }) => ({ name: `${id}: ${range.suggested.toPrecision(2)}`, points: range.lrs.map((lr, i) => ({ x: Math.log10(lr), y: range.smoothed[i] })) })),
      { dots: false, xTicks: decades(ranges.flatMap(({ range }) => range.lrs)) })
    : '';
  const tableHtml = htmlTable('results', rows, metrics) + (cutoffRows.length ? `\n<h2>Every searched cutoff</h2>\n${htmlTable('cutoffs', cutoffRows, metrics)}` : '');
  const analysisDir = join(dir, 'analysis');
  const analysis = existsSync(analysisDir)
    ? readdirSync(analysisDir).filter((f) => f.endsWith('.svg')).sort().map((f) => readFileSync(join(analysisDir, f), 'utf8'))
    : [];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ttl-torch: ${esc(title)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}.summary{font-size:1.1em;background:#f4f7fb;padding:8px 12px}caption{caption-side:bottom;font-size:.85em;max-width:360px;text-align:left}.charts{display:flex;flex-wrap:wrap;gap:12px}</style>
</head><body>
<h1>${esc(title)}</h1>
${summary ? `<p class="summary">${esc(summary)}</p>` : ''}
<p>Data ${esc(config.data)}. Strategies ${esc(config.strategies.join(', '))}; search ${esc(Array.isArray(config.search) ? 'k=' + config.search.join(',') : config.search)}; ${config.repeats} repeat(s); ${config.epochs} epochs at ${config.imageSize}px. Test metrics of the cutoff chosen on validation ${primary.label} (mean ± std over n repeats; one repeat has no std). ${primary.label} 95% CI: ${config.repeats > 1 ? 't interval of the mean over repeats' : classification ? 'DeLong (two classes) or stratified bootstrap (more classes) over the test cases' : config.task === 'multilabel' ? 'not computed for the macro average with one repeat (each label\'s DeLong interval is in the per-label table)' : 'normal approximation over the test cases'}. TTL-1SE: the smallest TTL cutoff whose validation ${primary.label} is within one standard error of the best. T = median latency, batch 1.</p>
${tableHtml}
${perLabelTable(rows, records)}
${tests.length ? `<h2>Against FTL (same test cases, same seed)</h2><table id="significance"><thead><tr><th>Method</th><th>seed</th><th>Δ ${primary.label}</th><th>p</th><th>test</th></tr></thead><tbody>${tests.map((t) => `<tr><td>${esc(t.method)}</td><td>${t.seed}</td><td>${t.difference >= 0 ? '+' : ''}${t.difference.toFixed(4)}</td><td>${formatP(t.p)}</td><td>${t.test === 'delong' ? 'DeLong' : 'paired bootstrap'}</td></tr>`).join('')}</tbody></table>` : ''}
${chosen.length ? `<h2>Test set: the chosen networks (seed ${config.seed})</h2>\n<div class="charts">\n${curveCharts(chosen)}\n</div>\n<div class="charts">\n${confusionTables(chosen)}\n</div>` : ''}
${failed.length ? `<h2>Failed trials</h2><ul>${failed.map((f) => `<li>${esc(f.id)}: ${esc(f.reason)}</li>`).join('')}</ul>` : ''}
<div class="charts">
${lineChart(`Test ${primary.label} vs cutoff (mean ± std)`, 'cutoff k', primary.label, bySearch((c) => ({ y: c.test[primary.key].mean, err: c.test[primary.key].std })))}
${lineChart('Parameters vs cutoff', 'cutoff k', 'params (M)', bySearch((c) => ({ y: c.params / 1e6 })))}
${lineChart('MACs vs cutoff', 'cutoff k', 'MACs (G)', bySearch((c) => ({ y: c.macs / 1e9 })))}
${lineChart(`Validation ${primary.label} per epoch`, 'epoch', primary.label, curves)}
${rangeChart}
</div>
${analysis.length ? `<h2>Analysis</h2>\n<div class="charts">\n${analysis.join('\n')}\n</div>` : ''}
</body></html>
`;
  writeFileAtomic(join(dir, 'report.html'), [html]);
  return results;
}
