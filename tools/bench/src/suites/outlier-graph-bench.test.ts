import { describe, expect, it } from 'vitest';
import type { PairedComparison } from '../paired-comparison.js';
import {
  formatOutlierGraph,
  type OutlierGraphBenchResult,
  outlierGraphChecks,
} from './outlier-graph-bench.js';

const pair = (concurrency: number, p50AddedMs: number, throughputRatio: number): PairedComparison => ({
  id: `outlier-detector-node-c${concurrency}`,
  baselineLabel: 'graph bench-1-hop',
  candidateLabel: 'graph bench-detector-1-hop',
  concurrency,
  perRound: [],
  warmupPerRound: [],
  rounds: 7,
  p50AddedMs,
  p99AddedMs: p50AddedMs,
  p50Ratio: 1,
  throughputRatio,
  baselineP50Ms: 0.5,
  candidateP50Ms: 0.5 + p50AddedMs,
  baselineThroughputPerSec: 4000,
  candidateThroughputPerSec: 4000 * throughputRatio,
});

const result = (addedMs: number, ratio: number): OutlierGraphBenchResult => ({
  low: pair(1, addedMs, 0.8),
  high: pair(32, 0.4, ratio),
  verdict: { 'sightline.iris-od.is_outlier': false, 'sightline.iris-od.score': 0.41234567 },
  threshold: 0.55,
  cpuMsPerRequest: {
    plain: { router: 0.1, 'model-server': 0.08, outlier: 0 },
    detector: { router: 0.16, 'model-server': 0.08, outlier: 0.07 },
  },
});

describe('outlier graph bench report', () => {
  it('passes an added p50 at or below 0.5 ms at c=1 and a ratio at or above 0.7x at c=32', () => {
    expect(outlierGraphChecks(result(0.3, 0.8)).map((c) => c.verdict)).toEqual(['PASS', 'PASS']);
    expect(outlierGraphChecks(result(0.6, 0.6)).map((c) => c.verdict)).toEqual(['FAIL', 'FAIL']);
    expect(outlierGraphChecks(result(0.3, 0.8)).map((c) => c.name)).toEqual([
      "detector node added p50, c=1 (paired rounds' median)",
      'detector node graph / plain graph throughput, c=32',
    ]);
  });

  it('prints the verdict it saw and both pairs', () => {
    const text = formatOutlierGraph(result(0.3, 0.8));
    expect(text).toContain('sightline.iris-od.is_outlier=false, sightline.iris-od.score=0.4123');
    expect(text).toContain('c=1: p50 0.500 -> 0.800 ms, added p50 0.300 ms (median of 7 paired rounds)');
    expect(text).toContain('c=32: 4000 -> 3200 infer/s, throughput ratio 0.800x');
    expect(text).toContain(
      'router 0.100 -> 0.160 (+0.060), model-server 0.080 -> 0.080 (+0.000), outlier 0.000 -> 0.070 (+0.070); all 0.180 -> 0.310',
    );
  });
});
