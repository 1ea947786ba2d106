// Writes results.{json,csv,md} and a self-contained report.html from the journal alone.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../fs/atomic.js';
import type { RunConfig } from './config.js';
import { readJournal, trialRecords } from './journal.js';
import { summarise, table, type TableRow } from './results.js';
import { lineChart, type Series } from './svg.js';

const pm = (s: { mean: number; std: number }) => `${s.mean.toFixed(4)} ± ${s.std.toFixed(4)}`;

export function markdownTable(rows: TableRow[]): string {
  const lines = [
    '| Method | AUROC | AUPRC | P(M) | MACs(G) | T(ms) | cutoff k |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.method} | ${pm(r.auroc)} | ${pm(r.auprc)} | ${r.paramsM.toFixed(3)} | ${r.macsG.toFixed(4)} | ${r.latencyMs === null ? '-' : r.latencyMs.toFixed(2)} | ${r.cutoff} |`),
  ];
  return lines.join('\n') + '\n';
}

function csv(rows: TableRow[]): string {
  const head = 'method,cutoff,auroc_mean,auroc_std,auprc_mean,auprc_std,params_m,macs_g,latency_ms';
  return [head, ...rows.map((r) => [r.method, r.cutoff, r.auroc.mean, r.auroc.std, r.auprc.mean, r.auprc.std, r.paramsM, r.macsG, r.latencyMs ?? ''].join(','))].join('\n') + '\n';
}

const esc = (s: string) => s.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);

export interface Results {
  config: RunConfig;
  rows: TableRow[];
  cutoffs: ReturnType<typeof summarise>;
  failed: { id: string; reason: string }[];
}

export function writeReports(dir: string, config: RunConfig): Results {
  const records = readJournal(join(dir, 'journal.jsonl'));
  const rows = table(records);
  const cutoffs = summarise(records);
  const failed = trialRecords(records).filter((r) => r.status === 'failed').map((r) => ({ id: r.id, reason: r.reason ?? '' }));
  const results: Results = { config, rows, cutoffs, failed };
  writeFileAtomic(join(dir, 'results.json'), [JSON.stringify(results, null, 2) + '\n']);
  writeFileAtomic(join(dir, 'results.csv'), [csv(rows)]);
  writeFileAtomic(join(dir, 'results.md'), [`# ${config.model} on ${config.data}\n\n` + markdownTable(rows)]);

  const strategies = [...new Set(cutoffs.map((c) => c.strategy))];
  const bySearch = (f: (c: (typeof cutoffs)[number]) => { y: number; err?: number }): Series[] =>
    strategies.map((s) => ({ name: s.toUpperCase(), points: cutoffs.filter((c) => c.strategy === s).map((c) => ({ x: c.cutoff, ...f(c) })) }));
  const curves: Series[] = trialRecords(records)
    .filter((r) => r.status === 'ok' && existsSync(join(dir, 'trials', r.id, 'curves.json')))
    .map((r) => ({
      name: r.id,
      points: (JSON.parse(readFileSync(join(dir, 'trials', r.id, 'curves.json'), 'utf8')) as { epoch: number; valAuroc: number }[]).map((c) => ({ x: c.epoch, y: c.valAuroc })),
    }));
  const tableHtml = [
    '<table id="results"><thead><tr><th>Method</th><th>AUROC</th><th>AUPRC</th><th>P(M)</th><th>MACs(G)</th><th>T(ms)</th><th>cutoff k</th></tr></thead><tbody>',
    ...rows.map((r) => `<tr><td>${r.method}</td><td>${pm(r.auroc)}</td><td>${pm(r.auprc)}</td><td>${r.paramsM.toFixed(3)}</td><td>${r.macsG.toFixed(4)}</td><td>${r.latencyMs === null ? '-' : r.latencyMs.toFixed(2)}</td><td>${r.cutoff}</td></tr>`),
    '</tbody></table>',
  ].join('\n');
  const analysisDir = join(dir, 'analysis');
  const analysis = existsSync(analysisDir)
    ? readdirSync(analysisDir).filter((f) => f.endsWith('.svg')).sort().map((f) => readFileSync(join(analysisDir, f), 'utf8'))
    : [];
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ttl-torch: ${esc(config.model)} on ${esc(config.data)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:12px}</style>
</head><body>
<h1>${esc(config.model)} on ${esc(config.data)}</h1>
<p>Strategies ${esc(config.strategies.join(', '))}; search ${esc(Array.isArray(config.search) ? 'k=' + config.search.join(',') : config.search)}; ${config.repeats} repeat(s); ${config.epochs} epochs at ${config.imageSize}px. Test metrics of the cutoff chosen on validation AUROC (mean ± std over repeats); T = median latency, batch 1.</p>
${tableHtml}
${failed.length ? `<h2>Failed trials</h2><ul>${failed.map((f) => `<li>${esc(f.id)}: ${esc(f.reason)}</li>`).join('')}</ul>` : ''}
<div class="charts">
${lineChart('Test AUROC vs cutoff (mean ± std)', 'cutoff k', 'AUROC', bySearch((c) => ({ y: c.auroc.mean, err: c.auroc.std })))}
${lineChart('Parameters vs cutoff', 'cutoff k', 'params (M)', bySearch((c) => ({ y: c.params / 1e6 })))}
${lineChart('MACs vs cutoff', 'cutoff k', 'MACs (G)', bySearch((c) => ({ y: c.macs / 1e9 })))}
${lineChart('Validation AUROC per epoch', 'epoch', 'AUROC', curves)}
</div>
${analysis.length ? `<h2>Analysis</h2>\n<div class="charts">\n${analysis.join('\n')}\n</div>` : ''}
</body></html>
`;
  writeFileAtomic(join(dir, 'report.html'), [html]);
  return results;
}
