// SVCCA (Raghu et al. 2017) as google/svcca computes it; the linear algebra runs natively in float64.
import { TtlError, invalidParameterError } from '../errors.js';
import { call } from '../native/call.js';
import { native } from '../native/loader.js';

/** Activations as neurons x datapoints, row-major float64. */
export interface Activations {
  data: Float64Array;
  shape: [number, number];
}

export interface CcaResult {
  /** Canonical correlations, descending. */
  coefs: Float64Array;
  /** Mean of the leading coefficients whose cumulative share reaches `threshold` (google/svcca's "mean"). */
  mean: number;
}

export interface SvccaResult extends CcaResult {
  /** Singular directions kept for x and y. */
  dims: [number, number];
  /** Mean of all coefficients (the usual SVCCA similarity). */
  meanOfCoefs: number;
}

function check(name: string, a: Activations, minRatio: number): void {
  if (!(a?.data instanceof Float64Array) || !Array.isArray(a.shape) || a.shape.length !== 2 || a.shape[0] * a.shape[1] !== a.data.length)
    throw invalidParameterError(name, 'activations {data: Float64Array, shape: [neurons, datapoints]}', a);
  if (a.shape[1] < minRatio * a.shape[0])
    throw new TtlError(
      'E_BAD_INPUT',
      `${name}: ${a.shape[1]} datapoints for ${a.shape[0]} neurons; CCA needs at least ${minRatio}x as many datapoints as neurons ` +
        `(use more samples, fold spatial positions into datapoints, or reduce the neurons first)`,
    );
}

/** The first i with sum(coefs[:i]) / sum(coefs) >= threshold (google/svcca sum_threshold). */
export function sumThreshold(coefs: ArrayLike<number>, threshold: number): number {
  let total = 0;
  for (let i = 0; i < coefs.length; i++) total += coefs[i];
  let i = 0;
  let partial = 0;
  while (i < coefs.length && partial / total < threshold) partial += coefs[i++];
  return i;
}

const meanOf = (a: ArrayLike<number>, n = a.length) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i];
  return s / n;
};

/** CCA exactly as cca_core.get_cca_similarity (covariance rescaling, epsilon, 0.98 threshold mean). */
export async function cca(x: Activations, y: Activations, options: { epsilon?: number; threshold?: number; minRatio?: number } = {}): Promise<CcaResult> {
  const minRatio = options.minRatio ?? 5;
  check('x', x, minRatio);
  check('y', y, minRatio);
  if (x.shape[1] !== y.shape[1]) throw new TtlError('E_BAD_INPUT', `x has ${x.shape[1]} datapoints but y has ${y.shape[1]}`);
  const threshold = options.threshold ?? 0.98;
  const coefs = (await call(() => native().cca(x, y, options.epsilon ?? 1e-10))).data;
  return { coefs, mean: meanOf(coefs, sumThreshold(coefs, threshold)) };
}

export type SvccaOptions = { keep?: number; epsilon?: number; threshold?: number; minRatio?: number };

/** SVCCA's first step: centre, keep the singular directions covering `keep` of the singular-value sum. */
export async function svdReduce(x: Activations, keep = 0.99): Promise<Activations> {
  check('x', x, 0);
  return (await call(() => native().svdReduce(x, keep))) as Activations;
}

/** SVCCA of two svdReduce'd activations: one network compared with several reduces its activations once. */
export async function svccaOfReduced(rx: Activations, ry: Activations, options: SvccaOptions = {}): Promise<SvccaResult> {
  // The datapoint guard applies to the directions kept, after the SVD step (inside cca()).
  const result = await cca(rx, ry, { ...options, minRatio: options.minRatio ?? 5 });
  return { ...result, dims: [rx.shape[0], ry.shape[0]], meanOfCoefs: meanOf(result.coefs) };
}

/** SVCCA: centre, keep the singular directions covering `keep` of the singular-value sum, then CCA. */
export async function svcca(x: Activations, y: Activations, options: SvccaOptions = {}): Promise<SvccaResult> {
  check('y', y, 0);
  const [rx, ry] = await Promise.all([svdReduce(x, options.keep), svdReduce(y, options.keep)]);
  return svccaOfReduced(rx, ry, options);
}
