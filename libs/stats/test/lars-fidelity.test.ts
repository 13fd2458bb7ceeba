import { describe, expect, it } from 'vitest';
import { larsPath } from '../src/linear/lars-path.js';
import { lassoLarsIc } from '../src/linear/lasso-lars-ic.js';
import { seededRandom } from '../src/random/seeded-random.js';
import { runSklearn } from './run-sklearn.js';

/** scikit-learn's lars_path (Gram form, as it picks for rows > cols) and LassoLarsIC in shap's pipeline. */
const SKLEARN_LARS = `
import warnings
warnings.filterwarnings('ignore')
from sklearn.linear_model import lars_path, LassoLarsIC
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
if data.get('diabetes'):
    from sklearn.datasets import load_diabetes
    X, y = load_diabetes(return_X_y=True)
else:
    X = np.array(data['x']).reshape(data['rows'], data['cols']); y = np.array(data['y'])
out = {'x': X.ravel().tolist(), 'y': y.tolist(), 'rows': X.shape[0], 'cols': X.shape[1]}
for method in ['lar', 'lasso']:
    alphas, active, coefs = lars_path(X, y, Gram='auto', method=method)
    out[method] = {'alphas': alphas.tolist(), 'active': [int(a) for a in active], 'coefs': coefs.T.tolist()}
lar3 = lars_path(X, y, max_iter=3)[1]
out['lar3'] = [int(a) for a in lar3]
for c in ['aic', 'bic']:
    model = make_pipeline(StandardScaler(with_mean=False), LassoLarsIC(criterion=c)).fit(X, y)
    out[c] = {'coef': model[1].coef_.tolist(), 'nonzero': [int(i) for i in np.nonzero(model[1].coef_)[0]]}
print(json.dumps(out))
`;

interface SklearnLars {
  readonly x: number[];
  readonly y: number[];
  readonly rows: number;
  readonly cols: number;
  readonly lar: { alphas: number[]; active: number[]; coefs: number[][] };
  readonly lasso: { alphas: number[]; active: number[]; coefs: number[][] };
  readonly lar3: number[];
  readonly aic: { coef: number[]; nonzero: number[] };
  readonly bic: { coef: number[]; nonzero: number[] };
}

/** Correlated columns (so the Lasso path drops features) and a sparse truth with noise. */
function problem(rows: number, cols: number, seed: number) {
  const random = seededRandom(seed);
  const x = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const shared = random.nextNormal();
    for (let j = 0; j < cols; j++)
      x[i * cols + j] = random.nextNormal() + (j % 3 === 0 ? 0.8 * shared : 0) + j * 0.1;
  }
  const y = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    y[i] = 1.5 * x[i * cols]! - 2 * x[i * cols + 3]! + 0.3 * x[i * cols + 6]! + 0.5 * random.nextNormal();
  }
  return { x, y };
}

/** Each case is one python3 start with scikit-learn's import: seconds on a busy machine. */
const PYTHON_CASE_TIMEOUT_MS = 120_000;

describe('larsPath and lassoLarsIc against scikit-learn', () => {
  it(
    'follows the Lasso path through its drops on the diabetes data (13 steps for 10 features)',
    () => {
      const reference = runSklearn<SklearnLars>(SKLEARN_LARS, { diabetes: true });
      const data = reference;
      const x = Float64Array.from(data.x);
      const y = Float64Array.from(data.y);
      const lasso = larsPath(x, data.rows, data.cols, y, { method: 'lasso' });
      expect(reference.lasso.alphas).toHaveLength(13);
      expect(lasso.alphas).toHaveLength(13);
      lasso.alphas.forEach((a, k) => {
        expect(a).toBeCloseTo(reference.lasso.alphas[k]!, 9);
      });
      lasso.coefs.forEach((coef, k) => {
        for (let j = 0; j < data.cols; j++) expect(coef[j]).toBeCloseTo(reference.lasso.coefs[k]![j]!, 6);
      });
      expect(lasso.active).toEqual(reference.lasso.active);
      for (const criterion of ['aic', 'bic'] as const) {
        expect(lassoLarsIc(x, data.rows, data.cols, y, criterion)!.selected).toEqual(
          reference[criterion].nonzero,
        );
      }
    },
    PYTHON_CASE_TIMEOUT_MS,
  );

  it.each([
    [80, 8, 1],
    [200, 12, 2],
    [50, 7, 3],
  ])(
    '%i rows x %i columns (seed %i): same paths, same selection',
    (rows, cols, seed) => {
      const { x, y } = problem(rows, cols, seed);
      const reference = runSklearn<SklearnLars>(SKLEARN_LARS, {
        x: Array.from(x),
        y: Array.from(y),
        rows,
        cols,
      });
      for (const method of ['lar', 'lasso'] as const) {
        const path = larsPath(x, rows, cols, y, { method });
        expect(path.active).toEqual(reference[method].active);
        expect(path.alphas.length).toBe(reference[method].alphas.length);
        path.alphas.forEach((a, k) => {
          expect(a).toBeCloseTo(reference[method].alphas[k]!, 9);
        });
        path.coefs.forEach((coef, k) => {
          for (let j = 0; j < cols; j++) expect(coef[j]).toBeCloseTo(reference[method].coefs[k]![j]!, 8);
        });
      }
      expect(larsPath(x, rows, cols, y, { method: 'lar', maxIter: 3 }).active).toEqual(reference.lar3);
      for (const criterion of ['aic', 'bic'] as const) {
        const fit = lassoLarsIc(x, rows, cols, y, criterion)!;
        expect(fit.selected).toEqual(reference[criterion].nonzero);
        for (let j = 0; j < cols; j++)
          expect(fit.coefficients[j]).toBeCloseTo(reference[criterion].coef[j]!, 8);
      }
    },
    PYTHON_CASE_TIMEOUT_MS,
  );
});
