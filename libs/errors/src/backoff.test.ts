import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, fullJitterBackoffMs } from './backoff.js';

const policy = { initialMs: 100, maxMs: 30_000 };

describe('fullJitterBackoffMs', () => {
  it('doubles its ceiling per attempt up to the cap, and is deterministic with an injected random', () => {
    expect([0, 1, 2, 3].map((a) => backoffCeilingMs(a, policy))).toEqual([100, 200, 400, 800]);
    expect(backoffCeilingMs(20, policy)).toBe(30_000);
    expect(backoffCeilingMs(1_000_000, policy)).toBe(30_000); // no overflow on long outages
    expect(backoffCeilingMs(2, { initialMs: 25, maxMs: 1000, multiplier: 1.5 })).toBe(56.25);
    expect(fullJitterBackoffMs(3, policy, () => 0.5)).toBe(400);
    expect(fullJitterBackoffMs(3, policy, () => 0)).toBe(0);
  });

  it('stays within [0, ceiling] (floating point may round a draw near 1 up to it) for every attempt, policy and draw', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -5, max: 10_000 }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 0, max: 1e7, noNaN: true }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, initialMs, maxMs, multiplier, draw) => {
          const p = { initialMs, maxMs, multiplier };
          const ceiling = backoffCeilingMs(attempt, p);
          const delay = fullJitterBackoffMs(attempt, p, () => draw);
          expect(Number.isFinite(delay)).toBe(true);
          expect(ceiling).toBeLessThanOrEqual(maxMs);
          expect(delay).toBeGreaterThanOrEqual(0);
          expect(delay).toBeLessThanOrEqual(ceiling);
        },
      ),
    );
  });

  it('never lowers its ceiling as attempts grow', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 0, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 1e6, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
        (attempt, initialMs, maxMs, multiplier) => {
          const p = { initialMs, maxMs, multiplier };
          expect(backoffCeilingMs(attempt + 1, p)).toBeGreaterThanOrEqual(backoffCeilingMs(attempt, p));
        },
      ),
    );
  });
});
