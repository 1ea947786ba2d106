// The clinical-reader part of report.html: ROC and precision-recall curves of the chosen networks on the test
// set, their confusion matrices at a threshold chosen on validation, and a plain-language summary.
import { atThreshold, youdenThreshold } from '../metrics/binary.js';
import { binaryCurve } from '../metrics/curves.js';
import type { TableRow } from './results.js';
import { isMultiLabelPredictions, readPredictions, type TrialPredictions } from './predictions.js';
import { formatP, type Significance } from './significance.js';
import { esc, lineChart, type Series } from './svg.js';
import type { MetricColumn } from './task.js';


interface Chosen {
  row: TableRow;
  p: TrialPredictions;
}

/** The first seed's predictions of FTL and the TTL rows (the networks a reader compares). */
export function chosenPredictions(dir: string, rows: TableRow[], seed: number): Chosen[] {
  return rows
    .filter((r) => r.method === 'FTL' || r.strategy === 'ttl')
    .flatMap((row) => {
      const p = readPredictions(dir, `${row.strategy}-k${row.cutoff}-s${seed}`);
      // Curves and confusion tables are of one class per image; a multi-label report has its per-label table.
      return p && !isMultiLabelPredictions(p) ? [{ row, p }] : [];
    })
    // TTL-1 and TTL-2 (or TTL-1SE) are often the same trial: one curve each.
    .filter((c, i, all) => all.findIndex((o) => o.row.strategy === c.row.strategy && o.row.cutoff === c.row.cutoff) === i);
}

const positive = (split: TrialPredictions['test']) => split.labels.map((_, i) => split.probs[i * 2 + 1]);
const label = (c: Chosen) => `${c.row.method} (k=${c.row.cutoff})`;

/** ROC and precision-recall curves on the test set (binary tasks). */
export function curveCharts(chosen: Chosen[]): string {
  const binary = chosen.filter((c) => c.p.classes.length === 2);
  if (!binary.length) return '';
  const roc: Series[] = [];
  const pr: Series[] = [];
  for (const c of binary) {
    const { labels } = c.p.test;
    const { tps, fps } = binaryCurve(labels, positive(c.p.test));
    const pos = tps.at(-1)!;
    const neg = fps.at(-1)!;
    const ci = c.row.testCi ? ` [${c.row.testCi.low.toFixed(3)}, ${c.row.testCi.high.toFixed(3)}]` : '';
    roc.push({ name: `${label(c)} AUROC ${c.row.test.auroc.mean.toFixed(3)}${ci}`, points: [{ x: 0, y: 0 }, ...tps.map((t, i) => ({ x: fps[i] / neg, y: t / pos }))] });
    pr.push({ name: label(c), points: tps.map((t, i) => ({ x: t / pos, y: t / (t + fps[i]) })) });
  }
  const ticks = { dots: false, xTicks: [0, 0.25, 0.5, 0.75, 1] };
  return lineChart('ROC curve (test)', '1 - specificity', 'sensitivity', roc, ticks) + lineChart('Precision-recall (test)', 'recall', 'precision', pr, ticks);
}

/** Confusion matrix counts [truth][predicted]; binary tasks predict positive at a validation-chosen threshold. */
export function confusion(p: TrialPredictions): { matrix: number[][]; threshold: number | null } {
  const k = p.classes.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const threshold = k === 2 ? youdenThreshold(p.val.labels, positive(p.val)) : null;
  p.test.labels.forEach((truth, i) => {
    let predicted = 0;
    if (threshold !== null) predicted = p.test.probs[i * 2 + 1] >= threshold ? 1 : 0;
    else for (let c = 1; c < k; c++) if (p.test.probs[i * k + c] > p.test.probs[i * k + predicted]) predicted = c;
    matrix[truth][predicted]++;
  });
  return { matrix, threshold };
}

export function confusionTables(chosen: Chosen[]): string {
  return chosen.map((c) => {
    const { matrix, threshold } = confusion(c.p);
    const names = c.p.classes.map(esc);
    let caption = `${esc(label(c))}: predicted class = highest probability`;
    if (threshold !== null) {
      const m = atThreshold(c.p.test.labels, positive(c.p.test), threshold);
      caption = `${esc(label(c))}: positive (${names[1]}) when p ≥ ${threshold.toPrecision(3)} (Youden's J on validation); ` +
        `sensitivity ${m.sensitivity.toFixed(3)}, specificity ${m.specificity.toFixed(3)}`;
    }
    return `<table class="confusion"><caption>${caption}</caption><thead><tr><th>truth \\ predicted</th>${names.map((n) => `<th>${n}</th>`).join('')}</tr></thead><tbody>` +
      matrix.map((r, t) => `<tr><th>${names[t]}</th>${r.map((v) => `<td>${v}</td>`).join('')}</tr>`).join('') + '</tbody></table>';
  }).join('\n');
}

/** Two or three sentences a clinician-researcher can act on. */
export function plainSummary(rows: TableRow[], tests: Significance[], metric: MetricColumn): string {
  const ftl = rows.find((r) => r.method === 'FTL');
  const ttl = rows.find((r) => r.method === 'TTL-1') ?? rows.find((r) => r.method === 'TTL-2');
  if (!ftl || !ttl) return '';
  const fmt = (r: TableRow) => `${r.test[metric.key].mean.toFixed(3)}${r.testCi ? ` (95% CI ${r.testCi.low.toFixed(3)}-${r.testCi.high.toFixed(3)})` : ''}`;
  const millions = (m: number) => (m >= 10 ? m.toFixed(1) : m.toPrecision(2));
  const sentences = [`${ttl.method} keeps ${ttl.cutoff} units: ${millions(ttl.paramsM)} M of FTL's ${millions(ftl.paramsM)} M parameters and ` +
    `${((100 * ttl.macsG) / ftl.macsG).toFixed(0)}% of its MACs.`];
  sentences.push(`Test ${metric.label}: ${ttl.method} ${fmt(ttl)}, FTL ${fmt(ftl)}.`);
  const t = tests.find((s) => s.method === ttl.method);
  if (t)
    sentences.push(`The difference (${t.difference >= 0 ? '+' : ''}${t.difference.toFixed(3)}) is ${t.p < 0.05 ? '' : 'not '}statistically significant ` +
      `(${t.test === 'delong' ? "DeLong's test" : 'paired bootstrap'}, ${formatP(t.p)}, seed ${t.seed}).`);
  const parsimonious = rows.find((r) => r.method === 'TTL-1SE');
  if (parsimonious && parsimonious.cutoff !== ttl.cutoff)
    sentences.push(`The smallest cutoff within one standard error of the best on validation is k = ${parsimonious.cutoff} (${millions(parsimonious.paramsM)} M parameters).`);
  return sentences.join(' ');
}
