import { describe, expect, it } from 'vitest';
import { type DriftKsBenchResult, driftKsChecks, formatDriftKsBench } from './drift-ks-bench.js';

const result = (ratio: number): DriftKsBenchResult => ({
  features: 50,
  referenceRows: 10_000,
  windowRows: 1000,
  oursMedianMs: 100 * ratio,
  scipyMedianMs: 100,
  ratio,
  oursRunsMs: [100 * ratio],
  scipyRunsMs: [100],
  oursRejected: 5,
  scipyRejected: 5,
  maxPValueRelativeDiff: 0,
  scipyVersion: '1.17.1',
});

describe('drift KS bench report', () => {
  it('passes at or below 1.0x scipy and fails above', () => {
    expect(driftKsChecks(result(0.4))[0]!.verdict).toBe('PASS');
    expect(driftKsChecks(result(1.2))[0]!.verdict).toBe('FAIL');
  });

  it('prints both medians, the ratio and the verdict agreement', () => {
    const text = formatDriftKsBench(result(0.5));
    expect(text).toContain('ours:  median 50.00 ms');
    expect(text).toContain('scipy 1.17.1 ks_2samp loop: median 100.00 ms');
    expect(text).toContain('ratio ours/scipy 0.500x; features flagged 5 / 5');
  });
});
