import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load-generator.js';
import type { SetupResult } from '../suites/setup-result.js';
import { modelServerRatios } from './ratios.js';

function point(concurrency: number, throughputPerSec: number, p50Ms: number): LoadResult {
  return {
    concurrency,
    completed: 1,
    errors: {},
    errorMessages: {},
    throughputPerSec,
    elapsedMs: 1,
    latency: { count: 1, minMs: p50Ms, meanMs: p50Ms, p50Ms, p90Ms: p50Ms, p99Ms: p50Ms, maxMs: p50Ms },
  };
}

function setup(id: string, points: LoadResult[], extra: Partial<SetupResult> = {}): SetupResult {
  return { id, label: id, kind: 'served', points, ...extra };
}

describe('modelServerRatios', () => {
  it('checks every target from the matching points', () => {
    const checks = modelServerRatios([
      setup('floor', [point(1, 2000, 0.4), point(64, 10_000, 5)]),
      setup('iris-served', [point(1, 1900, 0.45), point(64, 9_500, 6)], {
        memory: { rssBytes: 200 * 1024 * 1024, peakRssBytes: 0, readyRssBytes: 0 },
      }),
      setup('convnet-batching-off', [point(64, 400, 100)]),
      setup('convnet-batching-on', [point(64, 700, 50)]),
      setup('convnet-in-process', [point(1, 500, 2)]),
    ]);
    expect(checks.map((c) => [c.value, c.verdict])).toEqual([
      [0.95, 'PASS'],
      [expect.closeTo(0.05, 9), 'PASS'],
      [1.75, 'FAIL'],
      [1.4, 'PASS'],
      [200, 'PASS'],
    ]);
  });

  it('marks a target SKIPPED when a setup it needs did not run', () => {
    const checks = modelServerRatios([
      setup('floor', [point(1, 2000, 0.4), point(64, 10_000, 5)]),
      setup('iris-served', [], { skipped: 'model-server not built' }),
    ]);
    expect(checks.every((c) => c.verdict === 'SKIPPED' && c.value === undefined)).toBe(true);
  });
});
