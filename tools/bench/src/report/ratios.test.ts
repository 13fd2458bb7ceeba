import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load-generator.js';
import { type PairedComparison, summarizePaired } from '../paired-comparison.js';
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
        memory: { rssBytes: 330 * 1024 * 1024, peakRssBytes: 0, readyRssBytes: 200 * 1024 * 1024 },
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

  it('takes the iris targets from the paired comparisons where they ran', () => {
    const comparison = (concurrency: number, figures: Partial<PairedComparison>): PairedComparison => ({
      ...summarizePaired([]),
      id: 'floor-vs-iris',
      baselineLabel: 'floor',
      candidateLabel: 'iris',
      concurrency,
      perRound: [],
      warmupPerRound: [],
      ...figures,
      rounds: 5,
    });
    const checks = modelServerRatios(
      [
        setup('floor', [point(1, 2000, 0.4), point(64, 10_000, 5)]),
        setup('iris-served', [point(1, 1000, 0.9), point(64, 5_000, 9)]),
      ],
      [comparison(1, { p50AddedMs: 0.08 }), comparison(64, { throughputRatio: 0.93 })],
    );
    expect(checks[0]).toMatchObject({ value: 0.93, verdict: 'PASS' });
    expect(checks[0]!.name).toContain('median of 5 paired rounds');
    expect(checks[1]).toMatchObject({ value: 0.08, verdict: 'PASS' });
  });

  it('marks a target SKIPPED when a setup it needs did not run', () => {
    const checks = modelServerRatios([
      setup('floor', [point(1, 2000, 0.4), point(64, 10_000, 5)]),
      setup('iris-served', [], { skipped: 'model-server not built' }),
    ]);
    expect(checks.every((c) => c.verdict === 'SKIPPED' && c.value === undefined)).toBe(true);
  });
});
