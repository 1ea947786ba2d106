// Summary statistics shared by metrics, latency and reports.

/** The median (mean of the two middle values for an even count); NaN for no values. */
export function median(values: ArrayLike<number>): number {
  const sorted = Array.from(values).sort((a, b) => a - b);
  const n = sorted.length;
  return n ? (sorted[(n - 1) >> 1] + sorted[n >> 1]) / 2 : NaN;
}
