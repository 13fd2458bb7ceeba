import { describe, expect, it } from 'vitest';
import type { DenseMatrix } from '../src/matrix.js';
import { Mahalanobis } from '../src/outlier/mahalanobis.js';
import { breastCancer, heavyTailed, iris, multimodal } from './outlier-data.js';
import { normalMatrix, runPython, toNested } from './run-numpy.js';

/** Issue 11: squared distances equal numpy's (ddof = 1 covariance) to 1e-9. */
const TOLERANCE = 1e-9;

/** numpy's mean, ddof = 1 covariance and squared distances (solve, not an explicit inverse). */
const NUMPY_MAHALANOBIS = `
ref = np.array(data['ref']); x = np.array(data['x'])
mu = ref.mean(axis=0); S = np.cov(ref, rowvar=False, ddof=1)
d = x - mu
d2 = np.einsum('ij,ji->i', d, np.linalg.solve(S, d.T))
print(json.dumps({'mean': mu.tolist(), 'cov': S.ravel().tolist(), 'd2': d2.tolist()}))
`;

interface NumpyResult {
  readonly mean: number[];
  readonly cov: number[];
  readonly d2: number[];
}

function expectRelative(actual: ArrayLike<number>, expected: readonly number[], scale = 1): void {
  expect(actual.length).toBe(expected.length);
  for (let t = 0; t < expected.length; t++) {
    expect(Math.abs(actual[t]! - expected[t]!)).toBeLessThanOrEqual(
      TOLERANCE * Math.max(Math.abs(expected[t]!), scale),
    );
  }
}

/** Rows x 6 columns on scales from 0.01 to 1000 with correlations up to ~0.95. */
function mixedScales(rows: number, seed: number): DenseMatrix {
  const z = normalMatrix(rows, 6, seed);
  const data = new Float64Array(rows * 6);
  for (let i = 0; i < rows; i++) {
    const r = z.data.subarray(i * 6, i * 6 + 6);
    data.set(
      [
        1000 + 300 * r[0]!,
        0.01 * r[1]!,
        r[0]! + 0.3 * r[2]!,
        5 + 2 * r[3]! - r[1]!,
        r[4]! * 50 + r[0]! * 10,
        -3 + 0.1 * r[5]! + 0.5 * r[2]!,
      ],
      i * 6,
    );
  }
  return { rows, cols: 6, data };
}

describe('Mahalanobis against numpy', () => {
  it.each([
    ['mixed scales, correlated (6 columns)', mixedScales(500, 1), mixedScales(200, 2)],
    ['three clusters (4 columns)', multimodal().x, multimodal(9).x],
    ['heavy-tailed (3 columns)', heavyTailed().x, heavyTailed(8).x],
    ['iris (4 columns)', iris().x, iris().x],
    // Radius, perimeter and area nearly determine each other: the correlation matrix's condition
    // number is 7.7e4, and the largest relative difference measured 1.8e-12.
    ['breast cancer (30 columns)', breastCancer().x, breastCancer().x],
  ])('%s: mean, covariance and squared distances to 1e-9', (_, reference, batch) => {
    const expected = runPython<NumpyResult>(NUMPY_MAHALANOBIS, {
      ref: toNested(reference),
      x: toNested(batch),
    });
    const fit = Mahalanobis.fit(reference);
    expectRelative(fit.mean, expected.mean);
    const covarianceScale = Math.max(...expected.cov.map(Math.abs));
    expectRelative(fit.covariance, expected.cov, covarianceScale);
    expectRelative(fit.squaredDistances(batch), expected.d2);
  });

  it('an updated fit equals numpy on the union of its batches', () => {
    const all = mixedScales(600, 4);
    const part = (from: number, to: number): DenseMatrix => ({
      rows: to - from,
      cols: 6,
      data: all.data.subarray(from * 6, to * 6),
    });
    const fit = Mahalanobis.fit(part(0, 100))
      .update(part(100, 101))
      .update(part(101, 450))
      .update(part(450, 600));
    const batch = mixedScales(100, 5);
    const expected = runPython<NumpyResult>(NUMPY_MAHALANOBIS, { ref: toNested(all), x: toNested(batch) });
    expectRelative(fit.mean, expected.mean);
    expectRelative(fit.squaredDistances(batch), expected.d2);
  });
});
