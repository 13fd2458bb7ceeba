import { describe, expect, it } from 'vitest';
import {
  DRIFT_MMD_BENCH,
  type DriftMmdBenchResult,
  driftMmdChecks,
  formatDriftMmd,
} from './drift-mmd-bench.js';

const result = (typescriptMedianMs: number, numpyMedianMs: number): DriftMmdBenchResult => ({
  config: DRIFT_MMD_BENCH,
  typescriptMs: [typescriptMedianMs],
  singleThreadMs: [typescriptMedianMs * 1.5],
  singleThreadMedianMs: typescriptMedianMs * 1.5,
  singleThreadRatio: (typescriptMedianMs * 1.5) / numpyMedianMs,
  numpyMs: [numpyMedianMs],
  typescriptMedianMs,
  numpyMedianMs,
  ratio: typescriptMedianMs / numpyMedianMs,
  statistic: 0.001,
  numpyStatistic: 0.001,
  sigma: 5.5,
  numpySigma: 5.5,
});

describe('drift MMD benchmark report', () => {
  it('passes at or below numpy and under a second, fails otherwise', () => {
    expect(driftMmdChecks(result(150, 200)).map((c) => c.verdict)).toEqual(['PASS', 'PASS']);
    expect(driftMmdChecks(result(300, 200)).map((c) => c.verdict)).toEqual(['FAIL', 'PASS']);
    expect(driftMmdChecks(result(1_200, 2_000)).map((c) => c.verdict)).toEqual(['PASS', 'FAIL']);
  });

  it('prints both medians and the ratio', () => {
    const text = formatDriftMmd(result(150, 200));
    expect(text).toContain('median 150.0 ms');
    expect(text).toContain('median 200.0 ms');
    expect(text).toContain("TypeScript / numpy, median of the rounds' ratios: 0.75x");
  });
});
