import { describe, expect, it } from 'vitest';
import { averagePathLength } from '../src/outlier/average-path-length.js';
import { IsolationForest } from '../src/outlier/isolation-forest.js';
import { percentile } from '../src/outlier/percentile.js';
import {
  breastCancer,
  gaussianBlob,
  heavyTailed,
  iris,
  type LabelledSet,
  multimodal,
  rocAuc,
  twoMoons,
} from './outlier-data.js';
import { runSklearn } from './run-sklearn.js';

/** Issue 11: the mean ROC AUC over seeds within this of scikit-learn's. */
const AUC_TOLERANCE = 0.02;
/**
 * The five seeds. The per-seed AUC sd is 0.002-0.015 on the generated sets, 0.004 on
 * iris and 0.007 on breast cancer, so 0.02 is at least 2 sd of the difference of two 5-seed means
 * (a small real set with 10 outliers is too noisy for the rule: wine's per-seed sd is 0.031, see
 * the README).
 */
const SEEDS = [1, 2, 3, 4, 5];

/** scikit-learn's IsolationForest with default parameters, fitted on the set and scoring it, per seed. */
const SKLEARN_AUC = `
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
import sklearn
x = np.array(data['x']).reshape(data['rows'], data['cols']); y = np.array(data['labels'])
aucs = [roc_auc_score(y, -IsolationForest(n_estimators=data['trees'], random_state=s).fit(x).score_samples(x)) for s in data['seeds']]
print(json.dumps({'aucs': aucs, 'version': sklearn.__version__}))
`;

function compare(set: LabelledSet, seeds: readonly number[], trees = 100) {
  const { aucs } = runSklearn<{ aucs: number[]; version: string }>(SKLEARN_AUC, {
    x: Array.from(set.x.data),
    rows: set.x.rows,
    cols: set.x.cols,
    labels: Array.from(set.labels),
    seeds,
    trees,
  });
  const ours = seeds.map((seed) => {
    const scores = IsolationForest.fit(set.x, { seed, nEstimators: trees }).scoreSamples(set.x);
    return rocAuc(
      scores.map((s) => -s),
      set.labels,
    );
  });
  const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;
  return { ours: mean(ours), sklearn: mean(aucs) };
}

describe('IsolationForest against scikit-learn (Debian python3-sklearn)', () => {
  it.each([
    ['gaussian blob', gaussianBlob],
    ['two moons', twoMoons],
    ['three clusters', multimodal],
    ['heavy-tailed', heavyTailed],
  ])('%s with planted outliers: mean ROC AUC over 5 seeds within 0.02', (_, make) => {
    const { ours, sklearn } = compare(make(), SEEDS);
    expect(Math.abs(ours - sklearn)).toBeLessThanOrEqual(AUC_TOLERANCE);
    expect(ours).toBeGreaterThan(0.75);
  });

  it.each([
    ['breast cancer, malignant planted', breastCancer],
    ['iris, setosa planted', iris],
  ])('real data (%s): mean ROC AUC over 5 seeds within 0.02', (_, make) => {
    const { ours, sklearn } = compare(make(), SEEDS);
    expect(Math.abs(ours - sklearn)).toBeLessThanOrEqual(AUC_TOLERANCE);
    expect(ours).toBeGreaterThan(0.9);
  });

  it("c(n) equals scikit-learn's _average_path_length and the offset numpy's percentile", () => {
    const sizes = [0, 1, 2, 3, 5, 17, 100, 256, 10_000];
    const scores = Array.from({ length: 57 }, (_, i) => -0.3 - ((i * 37) % 57) / 100);
    const expected = runSklearn<{ c: number[]; p: number[] }>(
      `
from sklearn.ensemble._iforest import _average_path_length
print(json.dumps({'c': _average_path_length(np.array(data['sizes'])).tolist(),
                  'p': [float(np.percentile(np.array(data['scores']), 100.0 * c)) for c in data['contamination']]}))
`,
      { sizes, scores, contamination: [0.01, 0.05, 0.1, 0.25, 0.5] },
    );
    sizes.forEach((n, k) => {
      expect(averagePathLength(n)).toBe(expected.c[k]);
    });
    [0.01, 0.05, 0.1, 0.25, 0.5].forEach((c, k) => {
      expect(percentile(scores, 100 * c)).toBe(expected.p[k]);
    });
  });
});
