import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../load-generator.js';
import { summarizePaired } from '../paired-comparison.js';
import type { SetupResult } from '../suites/setup-result.js';
import { routerHopCosts, routerRatios } from './router-ratios.js';

function point(concurrency: number, throughputPerSec: number, p50Ms: number, p99Ms = p50Ms * 2): LoadResult {
  return {
    concurrency,
    completed: 1,
    errors: {},
    errorMessages: {},
    throughputPerSec,
    elapsedMs: 1,
    latency: { count: 1, minMs: p50Ms, meanMs: p50Ms, p50Ms, p90Ms: p50Ms, p99Ms, maxMs: p99Ms },
  };
}

function setup(id: string, points: LoadResult[]): SetupResult {
  return { id, label: id, kind: 'served', points };
}

const SETUPS = [
  setup('direct', [point(1, 2500, 0.4, 0.8), point(32, 10_000, 3, 6)]),
  setup('proxy', [point(1, 1500, 0.6, 1.2), point(32, 6_000, 5, 10)]),
  setup('router-1-hop-events-off', [point(1, 1450, 0.66, 1.3), point(32, 5_600, 5.4, 11)]),
  setup('router-1-hop', [point(1, 1400, 0.68, 1.4), point(32, 5_400, 5.5, 12)]),
  setup('router-2-hop', [point(1, 1000, 0.96, 2), point(32, 3_600, 8.5, 18)]),
  setup('router-3-hop', [point(1, 800, 1.28, 2.6), point(32, 2_700, 11.5, 24)]),
];

describe('routerHopCosts', () => {
  it('takes each hop as a difference of percentiles, extra hops averaged over two', () => {
    const rows = routerHopCosts(SETUPS, [1]);
    const byHop = Object.fromEntries(rows.map((r) => [r.hop.split(' (')[0], r]));
    expect(byHop['proxy hop']!.addedP50Ms).toBeCloseTo(0.2, 9);
    expect(byHop['proxy hop']!.vsProxyHop).toBe(1);
    expect(byHop['router 1st hop']!.addedP50Ms).toBeCloseTo(0.28, 9);
    expect(byHop['router 1st hop']!.addedP99Ms).toBeCloseTo(0.6, 9);
    expect(byHop['router 1st hop']!.vsProxyHop).toBeCloseTo(1.4, 9);
    expect(byHop['router 1st hop, events off']!.addedP50Ms).toBeCloseTo(0.26, 9);
    expect(byHop['router 2nd hop']!.addedP50Ms).toBeCloseTo(0.28, 9);
    expect(byHop['router each extra hop']!.addedP50Ms).toBeCloseTo(0.3, 9);
    expect(byHop['router each extra hop']!.addedP99Ms).toBeCloseTo(0.6, 9);
  });

  it('leaves a hop undefined when a setup it needs did not run', () => {
    const rows = routerHopCosts(
      SETUPS.filter((s) => s.id !== 'direct'),
      [32],
    );
    expect(rows.find((r) => r.hop.startsWith('proxy hop'))!.addedP50Ms).toBeUndefined();
    expect(rows.find((r) => r.hop.startsWith('router 2nd hop'))!.addedP50Ms).toBeCloseTo(3, 9);
  });
});

describe('routerRatios', () => {
  it('checks every target from the matching points and the events benchmark', () => {
    const checks = routerRatios(SETUPS, { lines: [], pipelineEventsPerSec: 50_000, pacedLossless: true });
    expect(checks.map((c) => [c.value, c.verdict])).toEqual([
      [expect.closeTo(0.68 / 0.6, 9), 'PASS'],
      [expect.closeTo(1.1, 9), 'PASS'],
      [0.9, 'PASS'],
      [expect.closeTo(0.68 / 0.66, 9), 'PASS'],
      [expect.closeTo(5.5 / 5.4, 9), 'PASS'],
      [expect.closeTo(5400 / 5600, 9), 'PASS'],
      [50_000, 'PASS'],
    ]);
  });

  it('fails a target that is missed and skips those whose setups did not run', () => {
    const slow = SETUPS.map((s) =>
      s.id === 'router-1-hop' ? setup('router-1-hop', [point(1, 1000, 0.8), point(32, 4_000, 7)]) : s,
    );
    const checks = routerRatios(
      slow.filter((s) => s.id !== 'router-1-hop-events-off'),
      undefined,
    );
    expect(checks.map((c) => c.verdict)).toEqual([
      'FAIL',
      'FAIL',
      'FAIL',
      'SKIPPED',
      'SKIPPED',
      'SKIPPED',
      'SKIPPED',
    ]);
  });

  it('takes the proxy and events targets from the paired comparisons where they ran', () => {
    const pair = (id: string, concurrency: number, p50Ratio: number, throughputRatio: number) => ({
      ...summarizePaired([]),
      id,
      baselineLabel: 'a',
      candidateLabel: 'b',
      concurrency,
      perRound: [],
      warmupPerRound: [],
      rounds: 5,
      p50Ratio,
      throughputRatio,
    });
    const checks = routerRatios(SETUPS, undefined, [
      pair('proxy-vs-router-1-hop', 1, 1.2, 0.8),
      pair('proxy-vs-router-1-hop', 32, 1.05, 0.9),
      pair('router-1-hop-events-off-vs-on', 1, 1.01, 0.99),
      pair('router-1-hop-events-off-vs-on', 32, 1.06, 0.96),
    ]);
    expect(checks.slice(0, 6).map((c) => [c.value, c.verdict])).toEqual([
      [1.2, 'FAIL'],
      [1.05, 'PASS'],
      [0.9, 'PASS'],
      [1.01, 'PASS'],
      [1.06, 'FAIL'],
      [0.96, 'PASS'],
    ]);
    expect(checks[0]!.name).toContain('median of 5 paired rounds');
  });
});
