import { describe, expect, it } from 'vitest';
import { weightedLeastSquares } from '../src/linear/weighted-least-squares.js';
import { seededRandom } from '../src/random/seeded-random.js';
import { runPython } from './run-numpy.js';

/** numpy's answer to the same problem: lstsq on √W X, √W y (what shap falls back to), and (XᵀWX)⁻¹ by pinv. */
const NUMPY_WLS = `
X = np.array(data['x']).reshape(data['rows'], data['cols']); y = np.array(data['y']); w = np.array(data['w'])
s = np.sqrt(w)
beta = np.linalg.lstsq(s[:, None] * X, s * y, rcond=None)[0]
inv = np.linalg.pinv(X.T @ (w[:, None] * X))
print(json.dumps({'beta': beta.tolist(), 'inv': inv.ravel().tolist()}))
`;

interface NumpyWls {
  readonly beta: number[];
  readonly inv: number[];
}

function problem(rows: number, cols: number, seed: number, collinear = false) {
  const random = seededRandom(seed);
  const x = new Float64Array(rows * cols);
  for (let t = 0; t < x.length; t++) x[t] = random.nextNormal();
  if (collinear) for (let i = 0; i < rows; i++) x[i * cols + cols - 1] = 2 * x[i * cols]!;
  const y = new Float64Array(rows);
  const w = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = random.nextNormal() + x[i * cols]! * 3;
    w[i] = random.nextFloat() * 2 + (i % 7 === 0 ? 0 : 0.01);
  }
  return { x, y, w };
}

describe('weightedLeastSquares', () => {
  it.each([
    [200, 5, 1, false],
    [40, 9, 2, false],
    [60, 4, 3, true],
  ])('equals numpy on %i rows x %i columns (seed %i, collinear %s)', (rows, cols, seed, collinear) => {
    const { x, y, w } = problem(rows, cols, seed, collinear);
    const fit = weightedLeastSquares(x, rows, cols, y, w);
    const reference = runPython<NumpyWls>(NUMPY_WLS, {
      x: Array.from(x),
      y: Array.from(y),
      w: Array.from(w),
      rows,
      cols,
    });
    expect(fit.singular).toBe(collinear);
    for (let a = 0; a < cols; a++) expect(fit.coefficients[a]).toBeCloseTo(reference.beta[a]!, 8);
    for (let t = 0; t < cols * cols; t++) expect(fit.inverseGram[t]).toBeCloseTo(reference.inv[t]!, 8);
    for (let i = 0; i < rows; i++) {
      let fitted = 0;
      for (let a = 0; a < cols; a++) fitted += x[i * cols + a]! * reference.beta[a]!;
      expect(fit.residuals[i]).toBeCloseTo(y[i]! - fitted, 8);
    }
  });

  it('refuses mismatched lengths', () => {
    expect(() =>
      weightedLeastSquares(new Float64Array(6), 3, 3, new Float64Array(3), new Float64Array(3)),
    ).toThrow(RangeError);
  });
});
