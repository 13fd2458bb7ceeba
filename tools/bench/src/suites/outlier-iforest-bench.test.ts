import { describe, expect, it } from 'vitest';
import {
  formatOutlierIforest,
  type OutlierIforestBenchResult,
  outlierIforestChecks,
} from './outlier-iforest-bench.js';

const result = (fitRatio: number, scoreRatio: number): OutlierIforestBenchResult => ({
  rows: 10_000,
  columns: 10,
  trees: 100,
  maxSamples: 256,
  oursFitMedianMs: 100 * fitRatio,
  oursScoreMedianMs: 100 * scoreRatio,
  sklearnFitMedianMs: 100,
  sklearnScoreMedianMs: 100,
  fitRatio,
  scoreRatio,
  oursFitRunsMs: [100 * fitRatio],
  oursScoreRunsMs: [100 * scoreRatio],
  sklearnFitRunsMs: [100],
  sklearnScoreRunsMs: [100],
  oursAuc: 0.99,
  sklearnAuc: 0.99,
  sklearnVersion: '1.2.1',
  python: '/usr/bin/python3',
});

describe('outlier iforest bench report', () => {
  it('passes fit at or below 2x and scoring at or below 1.0x scikit-learn, and fails above', () => {
    expect(outlierIforestChecks(result(1.9, 0.9)).map((c) => c.verdict)).toEqual(['PASS', 'PASS']);
    expect(outlierIforestChecks(result(2.1, 1.1)).map((c) => c.verdict)).toEqual(['FAIL', 'FAIL']);
  });

  it('prints both sides, the ratios and the AUCs', () => {
    const text = formatOutlierIforest(result(0.1, 0.3));
    expect(text).toContain('ours:  fit median 10.00 ms');
    expect(text).toContain('scikit-learn 1.2.1 (/usr/bin/python3): fit median 100.00 ms');
    expect(text).toContain(
      'ratio ours/scikit-learn: fit 0.100x, score 0.300x; ROC AUC on the planted 1% 0.9900 / 0.9900',
    );
  });
});
