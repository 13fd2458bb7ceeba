import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { ks2Samp } from '../univariate/ks-2samp.js';
import { ks2SampSketch } from './ks-against-sketch.js';
import { QuantileSketch } from './quantile-sketch.js';

// Slack for floating rounding in the bucket bounds (one bucket's boundary value can land on either side).
const SLACK = 1e-9;

function normals(seed: number, n: number, shift = 0, scale = 1): Float64Array {
  const random = seededRandom(seed);
  return Float64Array.from({ length: n }, () => random.nextNormal() * scale + shift);
}

describe('ks2SampSketch', () => {
  it('is within its stated bound of the exact statistic, and agrees on the verdicts (large windows)', () => {
    const reference = normals(1, 10_000).sort();
    for (const [seed, shift, drift] of [
      [2, 0, false],
      [3, 0.1, true],
      [4, 0.5, true],
    ] as const) {
      const window = normals(seed, 200_000, shift);
      const sketch = new QuantileSketch({ relativeAccuracy: 0.001 }).addAll(window);
      const approx = ks2SampSketch(reference, sketch);
      const exact = ks2Samp(reference, window, { method: 'asymp' });
      expect(Math.abs(approx.statistic - exact.statistic)).toBeLessThanOrEqual(
        approx.statisticErrorBound + SLACK,
      );
      // A standard normal at 0.1% relative accuracy: the bound is about 0.0005.
      expect(approx.statisticErrorBound).toBeLessThan(0.001);
      expect(approx.pValue < 0.05).toBe(drift);
      expect(exact.pValue < 0.05).toBe(drift);
      expect(approx.pValueRange[0]).toBeLessThanOrEqual(exact.pValue + 1e-12);
      expect(approx.pValueRange[1]).toBeGreaterThanOrEqual(exact.pValue - 1e-12);
    }
  });

  it('the bound holds for any data, sign, alternative and accuracy (property)', () => {
    // Values on a 1e-6 grid: sketches-js cannot grow a store across hundreds of orders of
    // magnitude (1e-308 next to 1 overflows its call stack at 0.1% accuracy).
    const values = fc
      .array(fc.integer({ min: -1e10, max: 1e10 }), { minLength: 1, maxLength: 200 })
      .map((a) => Float64Array.from(a, (v) => v / 1e6));
    fc.assert(
      fc.property(
        values,
        values,
        fc.constantFrom(0.001, 0.01, 0.05),
        fc.constantFrom('two-sided', 'less', 'greater' as const),
        (reference, window, alpha, alternative) => {
          const sketch = new QuantileSketch({ relativeAccuracy: alpha }).addAll(window);
          const approx = ks2SampSketch(reference.slice().sort(), sketch, { alternative });
          const exact = ks2Samp(reference, window, { method: 'asymp', alternative });
          return Math.abs(approx.statistic - exact.statistic) <= approx.statisticErrorBound + SLACK;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('states a large bound on discrete data (a repeated value fills one bucket), and holds it', () => {
    const reference = Float64Array.from([1, 1, 2, 2, 2, 3, 5, 5]);
    const window = [2, 2, 3, 3, 3, 3, 5, 8, 8];
    const sketch = new QuantileSketch().addAll(window);
    const approx = ks2SampSketch(reference, sketch);
    const exact = ks2Samp(reference, window, { method: 'asymp' });
    // The four 3s share one bucket of width; 2 is the exact minimum and 8 the maximum (no width).
    expect(approx.statisticErrorBound).toBeCloseTo(4 / 9, 12);
    expect(Math.abs(approx.statistic - exact.statistic)).toBeLessThanOrEqual(approx.statisticErrorBound);
  });

  it('refuses an empty sketch, an empty reference and an unknown alternative, naming them', () => {
    const one = new QuantileSketch().add(1);
    expect(() => ks2SampSketch(Float64Array.of(1), new QuantileSketch())).toThrow(
      /window: the sketch is empty/,
    );
    expect(() => ks2SampSketch(new Float64Array(0), one)).toThrow(/reference/);
    expect(() => ks2SampSketch(Float64Array.of(1), one, { alternative: 'both' as never })).toThrow(
      /alternative/,
    );
  });
});
