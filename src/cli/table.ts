/** Renders rows as an aligned plain-text table (numbers right-aligned). */
export function renderTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const numeric = headers.map((_, c) => rows.every((r) => /^-?[\d.]+$/.test(String(r[c]))));
  const line = (r: string[]) => r.map((v, c) => (numeric[c] ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const millions = (n: number) => (n / 1e6).toFixed(3);
export const giga = (n: number) => (n / 1e9).toFixed(3);

/** A CLI integer: the number when the text is one, else the text itself so errors quote it. */
export const integerArg = (text: string): number | string => (/^-?\d+$/.test(text) ? Number(text) : text);
