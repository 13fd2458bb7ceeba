import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { percentileOfSorted, summarizeLatencies } from './latency-summary.js';

describe('percentileOfSorted', () => {
  it('uses the nearest rank: the smallest sample with at least p% at or below it', () => {
    const sorted = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(percentileOfSorted(sorted, 10, 50)).toBe(5);
    expect(percentileOfSorted(sorted, 10, 90)).toBe(9);
    expect(percentileOfSorted(sorted, 10, 99)).toBe(10);
    expect(percentileOfSorted(sorted, 10, 100)).toBe(10);
    expect(percentileOfSorted(sorted, 10, 0)).toBe(1);
    expect(percentileOfSorted(sorted, 10, 10)).toBe(1);
    expect(percentileOfSorted(sorted, 10, 11)).toBe(2);
  });

  it('reads only the first `count` samples', () => {
    expect(percentileOfSorted(Float64Array.from([1, 2, 100]), 2, 100)).toBe(2);
  });

  it('is NaN without samples and refuses p outside [0, 100]', () => {
    expect(percentileOfSorted(new Float64Array(0), 0, 50)).toBeNaN();
    expect(() => percentileOfSorted(Float64Array.from([1]), 1, 101)).toThrow(
      /expected 0 <= p <= 100, got 101/,
    );
    expect(() => percentileOfSorted(Float64Array.from([1]), 2, 50)).toThrow(/count 2 exceeds 1/);
  });

  it('returns a seen sample with at least p% of samples at or below it and fewer than p% strictly below', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (values, p) => {
          const sorted = Float64Array.from(values).sort();
          const q = percentileOfSorted(sorted, sorted.length, p);
          expect(values).toContain(q);
          const atOrBelow = values.filter((v) => v <= q).length;
          const below = values.filter((v) => v < q).length;
          expect(atOrBelow / values.length).toBeGreaterThanOrEqual(p / 100 - 1e-12);
          expect(below / values.length).toBeLessThan(Math.max(p / 100, 1 / values.length) + 1e-12);
        },
      ),
    );
  });
});

describe('summarizeLatencies', () => {
  it('sorts and summarises unordered samples', () => {
    const summary = summarizeLatencies(Float64Array.from([5, 1, 4, 2, 3]));
    expect(summary).toEqual({ count: 5, minMs: 1, meanMs: 3, p50Ms: 3, p90Ms: 5, p99Ms: 5, maxMs: 5 });
  });

  it('gives NaN figures for an empty run', () => {
    const summary = summarizeLatencies(new Float64Array(0));
    expect(summary.count).toBe(0);
    expect(summary.p50Ms).toBeNaN();
    expect(summary.maxMs).toBeNaN();
  });
});
