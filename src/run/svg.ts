// Minimal self-contained SVG line charts (no network, no scripts) for report.html; inline SVG in HTML
// needs no xmlns, so the page holds no URL at all.
export interface Series {
  name: string;
  points: { x: number; y: number; err?: number }[];
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
/** Text safe inside HTML/SVG elements and attributes. */
export const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export interface ChartOptions {
  /** A dot per point (default); dense curves such as ROC curves draw lines only. */
  dots?: boolean;
  /** x positions to label; default: every distinct x (cutoffs, epochs). */
  xTicks?: number[];
  width?: number;
  height?: number;
}

export function lineChart(title: string, xLabel: string, yLabel: string, series: Series[], options: ChartOptions = {}): string {
  const { dots = true, width = 420, height = 260 } = options;
  const all = series.flatMap((s) => s.points);
  if (!all.length) return '';
  const pad = { l: 72, r: 12, t: 28, b: 40 };
  const xs = all.map((p) => p.x);
  const ys = all.flatMap((p) => [p.y - (p.err ?? 0), p.y + (p.err ?? 0)]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs) === Math.min(...xs) ? Math.min(...xs) + 1 : Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y1 - y0 < 1e-12) (y0 -= 0.5), (y1 += 0.5);
  const sx = (x: number) => pad.l + ((x - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const sy = (y: number) => height - pad.b - ((y - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const fmt = (v: number) => (Math.abs(v) >= 1000 ? v.toExponential(1) : +v.toPrecision(3)).toString();
  const ticks = [0, 0.5, 1].map((t) => y0 + t * (y1 - y0));
  // The legend sits under the axes, one line per series: inside the plot it hid the curves it names.
  const legendLine = 14;
  const parts = [
    `<svg width="${width}" height="${height + legendLine * series.length}" role="img" aria-label="${esc(title)}">`,
    `<text x="${width / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<line x1="${pad.l}" y1="${height - pad.b}" x2="${width - pad.r}" y2="${height - pad.b}" stroke="#444"/>`,
    `<line x1="${pad.l}" y1="${pad.t}" x2="${pad.l}" y2="${height - pad.b}" stroke="#444"/>`,
    ...ticks.map((t) => `<text x="${pad.l - 4}" y="${sy(t) + 4}" text-anchor="end" font-size="10">${fmt(t)}</text>`),
    ...(options.xTicks ?? [...new Set(xs)]).map((x) => `<text x="${sx(x)}" y="${height - pad.b + 14}" text-anchor="middle" font-size="10">${x}</text>`),
    `<text x="${width / 2}" y="${height - 6}" text-anchor="middle" font-size="11">${esc(xLabel)}</text>`,
    `<text x="12" y="${height / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 12 ${height / 2})">${esc(yLabel)}</text>`,
  ];
  series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.map((p) => `${sx(p.x)},${sy(p.y)}`).join(' ')}"/>`);
    for (const p of dots ? pts : []) {
      parts.push(`<circle cx="${sx(p.x)}" cy="${sy(p.y)}" r="2.5" fill="${c}"><title>${esc(s.name)} ${p.x}: ${p.y}</title></circle>`);
      if (p.err) parts.push(`<line x1="${sx(p.x)}" y1="${sy(p.y - p.err)}" x2="${sx(p.x)}" y2="${sy(p.y + p.err)}" stroke="${c}"/>`);
    }
    const y = height + legendLine * i + 6;
    parts.push(`<line x1="${pad.l}" y1="${y}" x2="${pad.l + 16}" y2="${y}" stroke="${c}" stroke-width="2"/>`);
    parts.push(`<text x="${pad.l + 20}" y="${y + 4}" font-size="10" fill="${c}">${esc(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
