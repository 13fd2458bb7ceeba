import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  formatMetricsKernels,
  metricsKernelsChecks,
  runMetricsKernelsBench,
} from './metrics-kernels-bench.js';
import { SKLEARN_PYTHONS } from './sklearn-python.js';

const hasSklearn = SKLEARN_PYTHONS.some((python) => {
  try {
    execFileSync(python, ['-c', 'import sklearn'], { stdio: 'ignore', timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
});

describe.skipIf(!hasSklearn)('metrics kernels bench (tiny, next to scikit-learn)', () => {
  it('computes the same figures as scikit-learn and reports both times', () => {
    const r = runMetricsKernelsBench({ pairs: 5_000, repetitions: 1 });
    expect(r.pairs).toBe(5_000);
    expect(Object.keys(r.classification.figures)).toEqual([
      'accuracy',
      'precision_macro',
      'recall_macro',
      'f1_macro',
      'roc_auc_ovr_macro',
      'log_loss',
    ]);
    expect(Object.keys(r.regression.figures)).toEqual(['mse', 'mae', 'r2']);
    expect(r.classification.maxRelativeDiff).toBeLessThanOrEqual(1e-9);
    expect(r.regression.maxRelativeDiff).toBeLessThanOrEqual(1e-9);
    // The synthetic model is right about 70% of the time or more: far from chance (1/3).
    expect(r.classification.figures.accuracy![0]).toBeGreaterThan(0.6);
    expect(r.classification.oursRunsMs).toHaveLength(1);
    expect(r.classification.sklearnRunsMs).toHaveLength(1);
    const checks = metricsKernelsChecks(r);
    expect(checks.map((c) => c.value)).toEqual([r.classification.ratio, r.regression.ratio]);
    expect(formatMetricsKernels(r)).toContain('metric kernels, 5000 pairs');
  }, 120_000);
});

describe('metrics kernels checks', () => {
  it('gives no ratio when the figures differ beyond 1e-9', () => {
    const side = (diff: number) => ({
      oursMedianMs: 50,
      sklearnMedianMs: 100,
      ratio: 0.5,
      oursRunsMs: [50],
      sklearnRunsMs: [100],
      figures: { mse: [1, 1 + diff] as const },
      maxRelativeDiff: diff,
    });
    const checks = metricsKernelsChecks({
      pairs: 10,
      classes: 3,
      classification: side(0),
      regression: side(1e-6),
      sklearnVersion: '1.2.1',
      python: 'python3',
    });
    expect(checks.map((c) => c.verdict)).toEqual(['PASS', 'SKIPPED']);
    expect(checks[1]!.name).toContain('NUMBERS DIFFER by 1.0e-6');
  });
});
