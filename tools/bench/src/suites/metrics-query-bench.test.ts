import { beforeAll, describe, expect, it } from 'vitest';
import {
  formatMetricsQuery,
  type MetricsQueryBenchResult,
  metricsQueryChecks,
  runMetricsQueryBench,
} from './metrics-query-bench.js';

describe('metrics query bench (tiny day)', () => {
  let result: MetricsQueryBenchResult;
  beforeAll(() => {
    result = runMetricsQueryBench({ pairs: 3_000, queries: 3, baselineRepetitions: 2 });
  });

  it('answers the same window from minute buckets, hourly roll-ups and the raw pairs', () => {
    const [minute, hourly, recompute] = result.layouts;
    expect(result.layouts.map((l) => l.id)).toEqual([
      'minute-buckets',
      'hourly-rollups',
      'recompute-from-pairs',
    ]);
    for (const layout of result.layouts) expect(layout.joined).toBe(3_000);
    expect(minute!.accuracy).toBe(recompute!.accuracy);
    expect(hourly!.accuracy).toBe(recompute!.accuracy);
    expect(hourly!.rowsRead).toBe(24);
    // 3,000 pairs spread over 1,440 minutes fill every minute bucket of the day.
    expect(minute!.rowsRead).toBe(1_440);
    expect(recompute!.rowsRead).toBe(3_000);
    expect(minute!.latency.count).toBe(3);
    expect(recompute!.latency.count).toBe(2);
  });

  it('checks both layouts against the 50 ms p99 and the recomputation, and prints every layout', () => {
    const checks = metricsQueryChecks(result);
    expect(checks.map((c) => c.name)).toEqual([
      'metrics query p99, metricsOver, hourly roll-ups',
      'metrics query p50, metricsOver, hourly roll-ups / recompute from pairs',
      'metrics query p99, metricsOver, minute buckets',
      'metrics query p50, metricsOver, minute buckets / recompute from pairs',
    ]);
    expect(checks.every((c) => c.value !== undefined && c.verdict !== 'SKIPPED')).toBe(true);
    const text = formatMetricsQuery(result);
    expect(text).toContain('metricsOver, hourly roll-ups');
    expect(text).toContain('classificationMetrics from raw pairs');
  });

  it('gives no ratio when a layout answers differently from the recomputation', () => {
    const wrong = {
      ...result,
      layouts: result.layouts.map((l) =>
        l.id === 'hourly-rollups' ? { ...l, accuracy: l.accuracy + 0.01 } : l,
      ),
    };
    const ratios = metricsQueryChecks(wrong).filter((c) => c.unit === 'x');
    expect(ratios.every((c) => c.verdict === 'SKIPPED' && c.name.endsWith('(ANSWERS DIFFER)'))).toBe(true);
  });
});
