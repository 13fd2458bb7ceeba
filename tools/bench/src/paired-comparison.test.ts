import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LoadResult } from './load-generator.js';
import { formatPaired, median, type PairedRound, runPaired, summarizePaired } from './paired-comparison.js';

function result(p50Ms: number, throughputPerSec: number, p99Ms = p50Ms * 2): LoadResult {
  return {
    concurrency: 1,
    completed: 100,
    errors: {},
    errorMessages: {},
    throughputPerSec,
    latency: { count: 100, minMs: p50Ms / 2, meanMs: p50Ms, p50Ms, p90Ms: p99Ms, p99Ms, maxMs: p99Ms },
    elapsedMs: 1000,
  };
}

describe('median', () => {
  it('is the middle value, or the mean of the middle two', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('lies between the smallest and largest value and ignores order', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1 }), (values) => {
        const m = median(values);
        expect(m).toBeGreaterThanOrEqual(Math.min(...values));
        expect(m).toBeLessThanOrEqual(Math.max(...values));
        expect(median([...values].reverse())).toBe(m);
      }),
    );
  });

  it('is not moved by one outlier among three or more values', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 10, noNaN: true }),
        fc.double({ min: 1e3, max: 1e9 }),
        (x, outlier) => {
          expect(median([x, x, outlier])).toBe(x);
        },
      ),
    );
  });
});

describe('summarizePaired', () => {
  it('takes the median of per-round differences and ratios, so one spoiled round does not count', () => {
    const rounds: PairedRound[] = [
      { baseline: result(1.0, 1000), candidate: result(1.05, 950) },
      { baseline: result(2.0, 500), candidate: result(2.1, 480) },
      // A neighbour's burst slowed only the candidate's half of this round.
      { baseline: result(1.0, 1000), candidate: result(5.0, 200) },
    ];
    const s = summarizePaired(rounds);
    expect(s.rounds).toBe(3);
    expect(s.p50AddedMs).toBeCloseTo(0.1, 9);
    expect(s.p50Ratio).toBeCloseTo(1.05, 9);
    expect(s.throughputRatio).toBeCloseTo(0.95, 9);
    expect(s.baselineP50Ms).toBe(1.0);
    expect(s.candidateP50Ms).toBe(2.1);
  });
});

describe('runPaired', () => {
  it('alternates which side runs first, round by round, and measures both every round', async () => {
    const order: string[] = [];
    let last = '';
    const side = (label: string) => ({
      label,
      call: async () => {
        if (last !== label) order.push(label);
        last = label;
        await new Promise((r) => setImmediate(r));
      },
    });
    const rounds: number[] = [];
    const comparison = await runPaired({
      id: 'test',
      baseline: side('base'),
      candidate: side('cand'),
      concurrency: 1,
      rounds: 3,
      // Long enough that a loaded machine still completes a call per side per round (15 ms
      // completed none on a loaded 2-core run).
      durationMs: 250,
      warmupMs: 0,
      warmupRounds: 0,
      onRound: (i) => rounds.push(i),
    });
    // Runs of calls to one side: base|cand, cand|base, base|cand merge at the round
    // boundaries into four runs (without alternation there would be six).
    expect(order).toEqual(['base', 'cand', 'base', 'cand']);
    expect(rounds).toEqual([0, 1, 2]);
    expect(comparison.perRound).toHaveLength(3);
    for (const r of comparison.perRound) {
      expect(r.baseline.completed).toBeGreaterThan(0);
      expect(r.candidate.completed).toBeGreaterThan(0);
    }
    expect(formatPaired(comparison)).toContain('median over 3 rounds');
  });

  it('runs the warm-up rounds first and leaves them out of the medians', async () => {
    let roundsStarted = 0;
    const side = (label: string) => ({
      label,
      call: () => new Promise<void>((r) => setTimeout(r, 5)),
    });
    const comparison = await runPaired({
      id: 'test',
      baseline: side('base'),
      candidate: side('cand'),
      concurrency: 1,
      rounds: 1,
      durationMs: 120,
      warmupMs: 0,
      warmupRounds: 2,
      onRound: () => roundsStarted++,
    });
    expect(comparison.warmupPerRound).toHaveLength(2);
    expect(comparison.perRound).toHaveLength(1);
    // onRound reports measured rounds only.
    expect(roundsStarted).toBe(1);
    for (const r of comparison.warmupPerRound) expect(r.baseline.completed).toBeGreaterThan(0);
    const only = comparison.perRound[0]!;
    expect(comparison.candidateP50Ms).toBe(only.candidate.latency.p50Ms);
    expect(comparison.baselineP50Ms).toBe(only.baseline.latency.p50Ms);
    const text = formatPaired(comparison);
    expect(text).toContain('after 2 warm-up rounds');
    expect(text).toMatch(/\n\s+w1 /);
    expect(text).toMatch(/\n\s+w2 /);
  });

  it('refuses a warm-up round count that is not a non-negative integer', async () => {
    const side = { label: 'x', call: async () => {} };
    await expect(
      runPaired({
        id: 'test',
        baseline: side,
        candidate: side,
        concurrency: 1,
        rounds: 1,
        durationMs: 1,
        warmupMs: 0,
        warmupRounds: -1,
      }),
    ).rejects.toThrow(/warmupRounds: expected a non-negative integer/);
  });

  it('refuses a round count that is not a positive integer', async () => {
    const side = { label: 'x', call: async () => {} };
    await expect(
      runPaired({
        id: 'test',
        baseline: side,
        candidate: side,
        concurrency: 1,
        rounds: 0,
        durationMs: 1,
        warmupMs: 0,
      }),
    ).rejects.toThrow(/rounds: expected a positive integer/);
  });
});
