import { describe, expect, it } from 'vitest';
import { normalMatrix, runPython, toNested } from '../../test/run-numpy.js';
import { LSDD_CANDIDATE_LAMBDAS, lsddPermutationTest } from './lsdd.js';

const ALPHA = 0.05;

/**
 * numpy transcription of Alibi Detect's LSDD (LSDDDriftTorch._configure_normalization,
 * sigma_median, GaussianRBF, permed_lsdds' unpermuted statistic) for given centres and lambda.
 */
const NUMPY_LSDD = `
ref = np.array(data['ref']); smp = np.array(data['smp'])
mean = ref.mean(0); std = ref.std(0, ddof=1) + 1e-12
ref = (ref - mean) / std; smp = (smp - mean) / std
def d2(a, b): return ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1)
def k(a, b, s): return np.exp(-d2(a, b) / (2 * s * s))
N = len(ref); dd = d2(ref, ref); kk = N + (N * N - N) // 2 - 1
sigma = float(np.sqrt(0.5 * np.sort(dd.ravel())[kk]))
idx = np.array(data['centers']); rest = np.setdiff1d(np.arange(N), idx)
c = ref[idx]; lam = data['lambda']
H = k(c, c, np.sqrt(2) * sigma)
h = k(ref[rest], c, sigma).mean(0) - k(smp, c, sigma).mean(0)
A = np.linalg.inv(H + lam * np.eye(len(idx)))
Hl = 2 * A - A.T @ H @ A
print(json.dumps({'sigma': sigma, 'lsdd': float(h @ Hl @ h)}))
`;

describe('LSDD permutation test', () => {
  it.each([
    [80, 60, 3, 0.3, [3, 17, 42, 79]],
    [40, 50, 1, 0, [0, 5]],
    [120, 30, 6, 1, [1, 2, 3, 50, 60, 70]],
  ])(
    '%i vs %i rows in %i dims (shift %d): sigma and statistic equal numpy to 1e-9',
    (n, m, d, shift, centers) => {
      const ref = normalMatrix(n, d, n + d);
      const smp = normalMatrix(m, d, m + d + 1, shift);
      const expected = runPython<{ sigma: number; lsdd: number }>(NUMPY_LSDD, {
        ref: toNested(ref),
        smp: toNested(smp),
        centers,
        lambda: 1e-3,
      });
      const result = lsddPermutationTest(ref, smp, {
        seed: 3,
        permutations: 10,
        centerIndices: centers,
        lambda: 1e-3,
      });
      expect(Math.abs(result.sigma - expected.sigma)).toBeLessThanOrEqual(1e-9 * expected.sigma);
      expect(Math.abs(result.statistic - expected.lsdd)).toBeLessThanOrEqual(1e-9 * Math.abs(expected.lsdd));
    },
  );

  it('false-positive rate on no-drift data is in [0.02, 0.08] over 200 trials (200 vs 100, 2 dims)', () => {
    let rejected = 0;
    for (let trial = 0; trial < 200; trial++) {
      const ref = normalMatrix(200, 2, 30_000 + 2 * trial);
      const smp = normalMatrix(100, 2, 30_001 + 2 * trial);
      if (lsddPermutationTest(ref, smp, { seed: trial }).pValue < ALPHA) rejected++;
    }
    expect(rejected / 200).toBeGreaterThanOrEqual(0.02);
    expect(rejected / 200).toBeLessThanOrEqual(0.08);
  });

  it('power >= 0.9 on a 0.5-sigma mean shift of one of 2 dims at n = 500 (40 trials)', () => {
    let rejected = 0;
    for (let trial = 0; trial < 40; trial++) {
      const ref = normalMatrix(500, 2, 40_000 + 2 * trial);
      const smp = normalMatrix(500, 2, 40_001 + 2 * trial, 0.5, [0]);
      if (lsddPermutationTest(ref, smp, { seed: trial }).pValue < ALPHA) rejected++;
    }
    expect(rejected / 40).toBeGreaterThanOrEqual(0.9);
  });

  it('chooses lambda as Alibi (a power of 1/4), is reproducible and non-negative', () => {
    const ref = normalMatrix(100, 4, 5);
    const smp = normalMatrix(80, 4, 6, 0.2);
    const a = lsddPermutationTest(ref, smp, { seed: 9, permutations: 30 });
    expect(lsddPermutationTest(ref, smp, { seed: 9, permutations: 30 })).toEqual(a);
    expect(LSDD_CANDIDATE_LAMBDAS).toContain(a.lambda);
    expect(a.statistic).toBeGreaterThanOrEqual(0);
    expect(a.pValue).toBeGreaterThanOrEqual(0);
    expect(a.pValue).toBeLessThanOrEqual(1);
    const fixed = lsddPermutationTest(ref, smp, { seed: 9, permutations: 30, lambda: 1e-6, sigma: 2 });
    expect(fixed.lambda).toBe(1e-6);
    expect(fixed.sigma).toBe(2);
  });

  it('refuses too many kernel centres and bad lambda, naming the option', () => {
    const ref = normalMatrix(10, 2, 1);
    const smp = normalMatrix(10, 2, 2);
    expect(() => lsddPermutationTest(ref, smp, { seed: 1, nKernelCenters: 9 })).toThrow(
      'nKernelCenters: expected an integer in [1, 8]',
    );
    expect(() => lsddPermutationTest(ref, smp, { seed: 1, lambda: -1 })).toThrow('lambda');
    expect(() => lsddPermutationTest(ref, smp, { seed: 1, centerIndices: [1, 1] })).toThrow(
      'centerIndices: 1 is not a distinct row index',
    );
  });
});
