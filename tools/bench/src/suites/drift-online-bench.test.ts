import { describe, expect, it } from 'vitest';
import {
  DRIFT_ONLINE_BENCH,
  type DriftOnlineBenchResult,
  driftOnlineChecks,
  formatDriftOnline,
} from './drift-online-bench.js';

const result = (typescriptMs: number, numpyMs: number): DriftOnlineBenchResult => ({
  config: DRIFT_ONLINE_BENCH,
  mmdTypescriptMs: [typescriptMs],
  mmdNumpyMs: [numpyMs],
  mmdTypescriptMedianMs: typescriptMs,
  mmdNumpyMedianMs: numpyMs,
  mmdRatio: typescriptMs / numpyMs,
  mmdLastThreshold: 0.031,
  numpyLastThreshold: 0.0309,
  cvmTypescriptMs: [2000],
  cvmTypescriptMedianMs: 2000,
});

describe('drift online benchmark report', () => {
  it('passes at or below numpy, fails above', () => {
    expect(driftOnlineChecks(result(300, 400)).map((c) => c.verdict)).toEqual(['PASS']);
    expect(driftOnlineChecks(result(500, 400)).map((c) => c.verdict)).toEqual(['FAIL']);
  });

  it('prints both medians, the ratio and the CVM time', () => {
    const text = formatDriftOnline(result(300, 400));
    expect(text).toContain('median 300.0 ms');
    expect(text).toContain('median 400.0 ms');
    expect(text).toContain("median of the rounds' ratios: 0.75x");
    expect(text).toContain('10000 bootstraps: TypeScript median 2000.0 ms');
  });
});
