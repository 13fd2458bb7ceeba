import { describe, expect, it } from 'vitest';
import { DirectLossEstimator, denseMatrix } from '../src/index.js';
import { seededRandom } from '../src/random/seeded-random.js';
import { runSklearn } from './run-sklearn.js';

/**
 * The loss models are scikit-learn's `Ridge(alpha = ridge * n)` on `StandardScaler`-ed terms
 * (features, prediction, and for `quadratic` their squares), predictions floored at 0.
 */
const SKLEARN_RIDGE = `
from sklearn.linear_model import Ridge
from sklearn.preprocessing import StandardScaler
def terms(X, p, kind):
    T = np.column_stack([X, p])
    return np.column_stack([T, T ** 2]) if kind == 'quadratic' else T
X = np.array(data['X']); p = np.array(data['p']); y = np.array(data['y'])
Xw = np.array(data['Xw']); pw = np.array(data['pw'])
out = {}
for name, loss, kind in [('absolute', np.abs(y - p), data['absoluteTerms']), ('squared', (y - p) ** 2, data['squaredTerms'])]:
    scaler = StandardScaler().fit(terms(X, p, kind))
    model = Ridge(alpha=data['ridge'] * len(y), solver='cholesky').fit(scaler.transform(terms(X, p, kind)), loss)
    out[name] = np.maximum(model.predict(scaler.transform(terms(Xw, pw, kind))), 0).tolist()
print(json.dumps(out))
`;

function rows(n: number, cols: number, seed: number) {
  const random = seededRandom(seed);
  const x = new Float64Array(n * cols);
  const p = new Float64Array(n);
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let mean = 0;
    for (let j = 0; j < cols; j++) {
      x[i * cols + j] = random.nextNormal() + j;
      mean += (j + 1) * x[i * cols + j]!;
    }
    p[i] = mean;
    y[i] = mean + (0.5 + Math.abs(x[i * cols]!)) * random.nextNormal();
  }
  return { features: denseMatrix(n, cols, x), predictions: p, targets: y };
}

const nested = (data: Float64Array, cols: number) =>
  Array.from({ length: data.length / cols }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));

describe('direct loss estimation against scikit-learn 1.2 Ridge', () => {
  it.each([
    ['linear', 'quadratic', 1e-3, 3],
    ['quadratic', 'linear', 0.5, 1],
    ['linear', 'linear', 1e-6, 6],
  ] as const)(
    'absolute %s, squared %s, ridge %s, %i features: equal predicted losses to 1e-9',
    (absoluteTerms, squaredTerms, ridge, cols) => {
      const reference = rows(400, cols, cols);
      const window = rows(150, cols, 100 + cols);
      const expected = runSklearn<{ absolute: number[]; squared: number[] }>(SKLEARN_RIDGE, {
        X: nested(reference.features.data, cols),
        p: Array.from(reference.predictions),
        y: Array.from(reference.targets),
        Xw: nested(window.features.data, cols),
        pw: Array.from(window.predictions),
        ridge,
        absoluteTerms,
        squaredTerms,
      });
      const ours = DirectLossEstimator.fit(reference, { ridge, absoluteTerms, squaredTerms }).predictLosses(
        window.features,
        window.predictions,
      );
      for (const name of ['absolute', 'squared'] as const) {
        ours[name].forEach((value, i) => {
          const theirs = expected[name][i]!;
          expect(
            Math.abs(value - theirs),
            `${name}[${i}]: ours ${value}, sklearn ${theirs}`,
          ).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(theirs)));
        });
      }
    },
  );
});
