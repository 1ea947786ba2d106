// CCA / SVCCA against google/svcca (../shared/fixtures/svcca.json) to 1e-6.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cca, svcca, type Activations } from '../../src/analysis/index.js';
import { fixture } from '../support/helpers.js';

const reference = JSON.parse(readFileSync(fixture('svcca.json'), 'utf8'));
const matrix = (rows: number[][]): Activations => ({ data: Float64Array.from(rows.flat()), shape: [rows.length, rows[0].length] });
const maxDiff = (a: ArrayLike<number>, b: number[]) => Math.max(...b.map((v, i) => Math.abs(a[i] - v)));

function gaussian(rows: number, cols: number, seed: number): Activations {
  let s = seed;
  const uniform = () => ((s = (s * 1664525 + 1013904223) % 4294967296) + 0.5) / 4294967296;
  const data = Float64Array.from({ length: rows * cols }, () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
  return { data, shape: [rows, cols] };
}

describe.each(reference.cases.map((c: object, i: number) => [i, c]))('google/svcca case %i', (_i, c) => {
  const { X, Y, epsilon, threshold, cca_coef1, mean, svcca: sv } = c as {
    X: number[][]; Y: number[][]; epsilon: number; threshold: number; cca_coef1: number[]; mean: number[];
    svcca: { keep_fraction_of_singular_value_sum: number; dims: number[]; coefs: number[]; mean_of_coefs: number };
  };

  it('CCA coefficients and the thresholded mean', async () => {
    const r = await cca(matrix(X), matrix(Y), { epsilon, threshold });
    expect(r.coefs).toHaveLength(cca_coef1.length);
    expect(maxDiff(r.coefs, cca_coef1)).toBeLessThan(1e-6);
    expect(Math.abs(r.mean - mean[0])).toBeLessThan(1e-6);
  });

  it('SVCCA dims, coefficients and mean', async () => {
    const r = await svcca(matrix(X), matrix(Y), { keep: sv.keep_fraction_of_singular_value_sum, epsilon });
    expect(r.dims).toEqual(sv.dims);
    expect(maxDiff(r.coefs, sv.coefs)).toBeLessThan(1e-6);
    expect(Math.abs(r.meanOfCoefs - sv.mean_of_coefs)).toBeLessThan(1e-6);
  });
});

describe('CCA sanity', () => {
  it('identical activations correlate perfectly', async () => {
    const x = gaussian(10, 200, 1);
    const r = await cca(x, x);
    expect(Math.min(...r.coefs)).toBeGreaterThan(1 - 1e-6);
  });

  it('independent noise gives a mean near the random baseline', async () => {
    const noise = await cca(gaussian(10, 200, 2), gaussian(10, 200, 3));
    const baseline = await cca(gaussian(10, 200, 4), gaussian(10, 200, 5));
    expect(Math.abs(noise.mean - baseline.mean)).toBeLessThan(0.05);
    expect(noise.mean).toBeLessThan(0.4);
  });

  it('too few datapoints for the neurons is refused', async () => {
    await expect(cca(gaussian(20, 60, 1), gaussian(20, 60, 2))).rejects.toThrow(
      'x: 60 datapoints for 20 neurons; CCA needs at least 5x as many datapoints as neurons',
    );
  });
});
