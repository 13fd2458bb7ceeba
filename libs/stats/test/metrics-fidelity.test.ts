import { describe, expect, it } from 'vitest';
import { classificationMetrics } from '../src/metrics/classification-metrics.js';
import { regressionMetrics } from '../src/metrics/regression-accumulator.js';
import { classificationCases, regressionCases } from './metrics-fixtures.js';
import { runSklearn } from './run-sklearn.js';

/** The bar: every metric equals scikit-learn's to 1e-9 (relative above 1). */
const TOLERANCE = 1e-9;

function expectClose(ours: number, theirs: number | null, what: string): void {
  if (theirs === null) {
    expect(ours, what).toBeNaN();
    return;
  }
  expect(Math.abs(ours - theirs), `${what}: ours ${ours}, scikit-learn ${theirs}`).toBeLessThanOrEqual(
    TOLERANCE * Math.max(1, Math.abs(theirs)),
  );
}

const SKLEARN_CLASSIFICATION = `
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, confusion_matrix, roc_auc_score, log_loss
out = []
for case in data:
    labels = case['classes']; k = len(labels)
    yt = np.array(case['yTrue']); yp = np.array(case['yPred'])
    p = np.array(case['probabilities'], dtype=np.float64).reshape(-1, k)
    r = {'accuracy': accuracy_score(yt, yp)}
    pr, rc, f1, sup = precision_recall_fscore_support(yt, yp, labels=labels, zero_division=0, average=None)
    r.update(precision=pr.tolist(), recall=rc.tolist(), f1=f1.tolist(), support=sup.tolist())
    for avg in ['macro', 'micro', 'weighted']:
        a = precision_recall_fscore_support(yt, yp, labels=labels, zero_division=0, average=avg)
        r[avg] = {'precision': a[0], 'recall': a[1], 'f1': a[2]}
    r['confusion'] = confusion_matrix(yt, yp, labels=labels).ravel().tolist()
    try:
        if k == 2:
            r['aucBinary'] = roc_auc_score(yt, p[:, 1])
        else:
            r['aucMacro'] = roc_auc_score(yt, p, multi_class='ovr', average='macro', labels=labels)
            r['aucWeighted'] = roc_auc_score(yt, p, multi_class='ovr', average='weighted', labels=labels)
    except ValueError:
        r['aucUndefined'] = True
    r['logLoss'] = log_loss(yt, p, labels=labels)
    # ECE, top-label, 10 equal-width bins (k/B, (k+1)/B], c = 0 in the first: the README's definition.
    conf = p.max(axis=1); right = (np.array(labels, dtype=object)[p.argmax(axis=1)] == yt.astype(object)).astype(float)
    b = np.maximum(np.ceil(conf * 10) - 1, 0).astype(int)
    ece = 0.0
    for j in range(10):
        m = b == j
        if m.any(): ece += m.sum() / len(conf) * abs(right[m].mean() - conf[m].mean())
    r['ece'] = ece
    out.append(r)
print(json.dumps(out))
`;

const SKLEARN_REGRESSION = `
from sklearn.metrics import mean_squared_error, mean_absolute_error, mean_absolute_percentage_error, r2_score
out = []
for case in data:
    yt = np.array(case['yTrue'], dtype=np.float64); yp = np.array(case['yPred'], dtype=np.float64)
    mse = mean_squared_error(yt, yp)
    out.append({'mse': mse, 'rmse': float(np.sqrt(mse)), 'mae': mean_absolute_error(yt, yp),
                'mape': mean_absolute_percentage_error(yt, yp), 'r2': r2_score(yt, yp)})
print(json.dumps(out))
`;

interface SklearnClassification {
  accuracy: number;
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
  macro: { precision: number; recall: number; f1: number };
  micro: { precision: number; recall: number; f1: number };
  weighted: { precision: number; recall: number; f1: number };
  confusion: number[];
  aucBinary?: number;
  aucMacro?: number;
  aucWeighted?: number;
  aucUndefined?: boolean;
  logLoss: number;
  ece: number;
}

describe('classification metrics against scikit-learn 1.2 (Debian python3-sklearn)', () => {
  const cases = classificationCases();
  const expected = runSklearn<SklearnClassification[]>(SKLEARN_CLASSIFICATION, cases);

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_, i) => {
    const c = cases[i]!;
    const sk = expected[i]!;
    const ours = classificationMetrics(
      { yTrue: c.yTrue, yPred: c.yPred, probabilities: c.probabilities },
      { classes: c.classes },
    );
    expectClose(ours.accuracy, sk.accuracy, 'accuracy');
    for (const field of ['precision', 'recall', 'f1', 'support'] as const) {
      sk[field].forEach((v, k) => {
        expectClose(ours[field][k]!, v, `${field}[${k}]`);
      });
    }
    for (const average of ['macro', 'micro', 'weighted'] as const) {
      for (const field of ['precision', 'recall', 'f1'] as const) {
        expectClose(ours[average][field], sk[average][field], `${average} ${field}`);
      }
    }
    expect(Array.from(ours.confusion)).toEqual(sk.confusion);
    if (sk.aucBinary !== undefined) expectClose(ours.rocAuc!.binary!, sk.aucBinary, 'binary ROC AUC');
    if (sk.aucMacro !== undefined) expectClose(ours.rocAuc!.macro, sk.aucMacro, 'macro ROC AUC');
    if (sk.aucWeighted !== undefined) expectClose(ours.rocAuc!.weighted, sk.aucWeighted, 'weighted ROC AUC');
    if (sk.aucUndefined) expect(Array.from(ours.rocAuc!.perClass).some(Number.isNaN)).toBe(true);
    expect(ours.rocAuc!.maxError).toBe(0);
    expectClose(ours.logLoss!, sk.logLoss, 'log loss');
    expectClose(ours.expectedCalibrationError!, sk.ece, 'ECE');
  });
});

describe('regression metrics against scikit-learn 1.2', () => {
  const cases = regressionCases();
  const expected = runSklearn<Array<Record<'mse' | 'rmse' | 'mae' | 'mape' | 'r2', number>>>(
    SKLEARN_REGRESSION,
    cases,
  );

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_, i) => {
    const c = cases[i]!;
    const ours = regressionMetrics(c.yTrue, c.yPred);
    for (const field of ['mse', 'rmse', 'mae', 'mape', 'r2'] as const)
      expectClose(ours[field], expected[i]![field], field);
  });
});
