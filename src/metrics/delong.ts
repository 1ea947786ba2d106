// DeLong's nonparametric variance of the AUROC (DeLong, DeLong & Clarke-Pearson 1988), in the fast
// midrank form of Sun & Xu (2014): confidence intervals of one AUROC and the paired test of two AUROCs
// measured on the same cases.
import { TtlError } from '../errors.js';

/** Midranks (1-based, ties averaged) of `values`. */
function midranks(values: Float64Array): Float64Array {
  const order = Array.from(values.keys()).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j < order.length && values[order[j]] === values[order[i]]) j++;
    for (let t = i; t < j; t++) ranks[order[t]] = (i + j + 1) / 2;
    i = j;
  }
  return ranks;
}

interface Components {
  auc: number;
  /** Structural components over the positives (V10) and the negatives (V01). */
  v10: Float64Array;
  v01: Float64Array;
}

function components(labels: ArrayLike<number>, scores: ArrayLike<number>): Components {
  if (labels.length !== scores.length) throw new TtlError('E_BAD_INPUT', `DeLong: ${labels.length} labels but ${scores.length} scores`);
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new TtlError('E_BAD_INPUT', `DeLong: binary labels must be 0 or 1, got ${labels[i]} at ${i}`);
    (labels[i] === 1 ? pos : neg).push(scores[i]);
  }
  const m = pos.length;
  const n = neg.length;
  if (!m || !n) throw new TtlError('E_BAD_INPUT', `DeLong: the AUROC needs both classes (${m} positives, ${n} negatives)`);
  const all = midranks(Float64Array.from([...pos, ...neg]));
  const inPos = midranks(Float64Array.from(pos));
  const inNeg = midranks(Float64Array.from(neg));
  const v10 = Float64Array.from(pos, (_, i) => (all[i] - inPos[i]) / n);
  const v01 = Float64Array.from(neg, (_, j) => 1 - (all[m + j] - inNeg[j]) / m);
  const auc = v10.reduce((a, b) => a + b, 0) / m;
  return { auc, v10, v01 };
}

function covariance(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  if (n < 2) return 0;
  const ma = a.reduce((s, v) => s + v, 0) / n;
  const mb = b.reduce((s, v) => s + v, 0) / n;
  let c = 0;
  for (let i = 0; i < n; i++) c += (a[i] - ma) * (b[i] - mb);
  return c / (n - 1);
}

/** Standard normal CDF (W. J. Cody's rational approximations of erfc, relative error < 1e-14). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  let erfc: number;
  if (x < 0.5) {
    const t = x * x;
    const p = ((((0.1857777061846031526730 * t + 3.161123743870565596947) * t + 113.8641541510501556495) * t + 377.4852376853020208137) * t + 3209.377589138469472562);
    const q = ((((t + 23.60129095234412093499) * t + 244.0246379344441733056) * t + 1282.616526077372275645) * t + 2844.236833439170622273);
    erfc = 1 - (x * p) / q;
  } else if (x < 4) {
    const p = [2.15311535474403846343e-8, 5.64188496988670089180e-1, 8.88314979438837594118, 6.61191906371416294775e1, 2.98635138197400131132e2,
      8.81952221241769090411e2, 1.71204761263407058314e3, 2.05107837782607146532e3, 1.23033935479799725272e3];
    const q = [1, 1.57449261107098347253e1, 1.17693950891312499305e2, 5.37181101862009857509e2, 1.62138957456669018874e3,
      3.29079923573345962678e3, 4.36261909014324715820e3, 3.43936767414372163696e3, 1.23033935480374942043e3];
    let num = 0;
    let den = 0;
    for (let i = 0; i < p.length; i++) {
      num = num * x + p[i];
      den = den * x + q[i];
    }
    erfc = Math.exp(-x * x) * (num / den);
  } else {
    const t = 1 / (x * x);
    const p = [1.63153871373020978498e-2, 3.05326634961232344035e-1, 3.60344899949804439429e-1, 1.25781726111229246204e-1, 1.60837851487422766278e-2, 6.58749161529837803157e-4];
    const q = [1, 2.56852019228982242072, 1.87295284992346725209, 5.27905102951428412248e-1, 6.05183413124413191178e-2, 2.33520497626869185443e-3];
    let num = 0;
    let den = 0;
    for (let i = 0; i < p.length; i++) {
      num = num * t + p[i];
      den = den * t + q[i];
    }
    erfc = (Math.exp(-x * x) / x) * (1 / Math.sqrt(Math.PI) - (t * num) / den);
  }
  const upper = erfc / 2;
  return z >= 0 ? 1 - upper : upper;
}

const Z95 = 1.959963984540054;

export interface AurocInterval {
  auroc: number;
  /** DeLong standard error. */
  se: number;
  low: number;
  high: number;
}

/** The AUROC with its DeLong standard error and 95% confidence interval (clipped to [0, 1]). */
export function delongInterval(labels: ArrayLike<number>, scores: ArrayLike<number>): AurocInterval {
  const c = components(labels, scores);
  const se = Math.sqrt(covariance(c.v10, c.v10) / c.v10.length + covariance(c.v01, c.v01) / c.v01.length);
  return { auroc: c.auc, se, low: Math.max(0, c.auc - Z95 * se), high: Math.min(1, c.auc + Z95 * se) };
}

export interface PairedTest {
  aurocA: number;
  aurocB: number;
  /** aurocA - aurocB, its standard error, z statistic and two-sided p-value. */
  difference: number;
  se: number;
  z: number;
  p: number;
}

/** DeLong's test of two correlated AUROCs: two classifiers' scores on the same cases. */
export function delongTest(labels: ArrayLike<number>, scoresA: ArrayLike<number>, scoresB: ArrayLike<number>): PairedTest {
  const a = components(labels, scoresA);
  const b = components(labels, scoresB);
  const m = a.v10.length;
  const n = a.v01.length;
  const variance =
    (covariance(a.v10, a.v10) + covariance(b.v10, b.v10) - 2 * covariance(a.v10, b.v10)) / m +
    (covariance(a.v01, a.v01) + covariance(b.v01, b.v01) - 2 * covariance(a.v01, b.v01)) / n;
  const difference = a.auc - b.auc;
  const se = Math.sqrt(Math.max(0, variance));
  // Identical rankings: no difference to test.
  const z = se > 0 ? difference / se : 0;
  return { aurocA: a.auc, aurocB: b.auc, difference, se, z, p: se > 0 ? 2 * normalCdf(-Math.abs(z)) : 1 };
}
