// Threshold curves computed as scikit-learn does: one point per distinct score, in decreasing order.

export interface CurvePoints {
  thresholds: number[];
  tps: number[]; // true positives at score >= threshold
  fps: number[]; // false positives at score >= threshold
}

export function binaryCurve(labels: ArrayLike<number>, scores: ArrayLike<number>): CurvePoints {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const thresholds: number[] = [];
  const tps: number[] = [];
  const fps: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < order.length; i++) {
    if (labels[order[i]] === 1) tp++;
    else fp++;
    const last = i === order.length - 1 || scores[order[i + 1]] !== scores[order[i]];
    if (last) {
      thresholds.push(scores[order[i]]);
      tps.push(tp);
      fps.push(fp);
    }
  }
  return { thresholds, tps, fps };
}

/** Trapezoidal area under y(x) for x sorted ascending. */
export function trapezoid(x: number[], y: number[]): number {
  let area = 0;
  for (let i = 1; i < x.length; i++) area += ((x[i] - x[i - 1]) * (y[i] + y[i - 1])) / 2;
  return area;
}
