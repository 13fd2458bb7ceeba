import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RegressionAccumulator,
  type RegressionMetrics,
  regressionMetrics,
} from './regression-accumulator.js';

function expectClose(a: number, b: number, tolerance: number): void {
  if (!Number.isFinite(b)) expect(a).toBe(b);
  else expect(Math.abs(a - b)).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(b)));
}

function expectSameMetrics(a: RegressionMetrics, b: RegressionMetrics, tolerance: number): void {
  expect(a.count).toBe(b.count);
  for (const field of ['mse', 'rmse', 'mae', 'mape'] as const) expectClose(a[field], b[field], tolerance);
  // The intervals come from the spread of the (squared) errors: second moments of squares, i.e. fourth
  // powers of values up to 1e6, whose merged sums keep ~100x less relative precision than the means
  // (a seed found 1.2e-12 relative with the moments as products instead of `**`).
  expectClose(a.intervals.mae.low, b.intervals.mae.low, tolerance * 100);
  expectClose(a.intervals.mse.high, b.intervals.mse.high, tolerance * 100);
}

describe('RegressionAccumulator', () => {
  it('merged windows equal a recomputation from scratch (property, values up to 1e6)', () => {
    // Magnitudes below 1e-100 become 0: their squares underflow, and a sum of squares that is 0 in one
    // summation order but not another flips R² between its conventions (1, 0) rather than drifting by rounding.
    const value = fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((v) => (Math.abs(v) < 1e-100 ? 0 : v));
    const pair = fc.tuple(value, value);
    fc.assert(
      fc.property(
        fc.array(pair, { minLength: 1, maxLength: 200 }),
        fc.array(fc.nat(), { maxLength: 4 }),
        (pairs, cutSeeds) => {
          const cuts = [...new Set(cutSeeds.map((c) => c % (pairs.length + 1)))].sort((a, b) => a - b);
          const bounds = [0, ...cuts, pairs.length];
          const merged = new RegressionAccumulator();
          for (let j = 1; j < bounds.length; j++) {
            const part = new RegressionAccumulator();
            for (const [t, p] of pairs.slice(bounds[j - 1], bounds[j])) part.add(t, p);
            merged.merge(part);
          }
          const scratch = regressionMetrics(
            pairs.map(([t]) => t),
            pairs.map(([, p]) => p),
          );
          const windowed = merged.metrics();
          expectSameMetrics(windowed, scratch, 1e-12);
          // R² divides by y_true's sum of squares, merged by Chan's rule: equal to a relative 1e-9 of SSE / SS_tot.
          // An exact 0 can also be rounding (SSE equal to SS_tot in the last bit), so only NaN is compared
          // exactly; the tolerance still tells the conventions (0 and 1) apart. Where y_true's spread is within
          // a few ulps of its magnitude (two values 1e6 apart by 3e-10), SS_tot is rounding noise in any
          // summation order, so R² is only required to exist there.
          const truths = pairs.map(([t]) => t);
          const mean = truths.reduce((a, b) => a + b, 0) / truths.length;
          const ssTot = truths.reduce((a, t) => a + (t - mean) ** 2, 0);
          const scale = Math.max(...truths.map(Math.abs));
          const conditioned = ssTot === 0 || ssTot > truths.length * (1e-6 * scale) ** 2;
          if (Number.isNaN(scratch.r2)) expect(windowed.r2).toBeNaN();
          else if (!conditioned) expect(Number.isNaN(windowed.r2)).toBe(false);
          else
            expect(Math.abs(windowed.r2 - scratch.r2)).toBeLessThanOrEqual(
              1e-9 * Math.max(1, Math.abs(1 - scratch.r2)),
            );
          expectSameMetrics(
            RegressionAccumulator.fromJSON(JSON.parse(JSON.stringify(merged))).metrics(),
            windowed,
            0,
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it("follows scikit-learn's R² conventions: 1 for perfect, 0 for a constant y_true missed, NaN below two pairs", () => {
    expect(regressionMetrics([2, 2, 2], [2, 2, 2]).r2).toBe(1);
    expect(regressionMetrics([0.1, 0.1, 0.1], [0.1, 0.2, 0.1]).r2).toBe(0);
    expect(regressionMetrics([1], [2]).r2).toBeNaN();
    expect(regressionMetrics([], []).mse).toBeNaN();
    expect(
      RegressionAccumulator.fromJSON(JSON.parse(JSON.stringify(new RegressionAccumulator()))).count,
    ).toBe(0);
  });

  it('gives t intervals for MSE and MAE and the square root of the MSE interval for RMSE', () => {
    const m = regressionMetrics([0, 0, 0, 0], [1, -2, 3, 0]);
    expect(m.mae).toBe(1.5);
    expect(m.intervals.mae.method).toBe('t');
    expect(m.intervals.mae.low).toBeLessThan(1.5);
    expect(m.intervals.rmse.high).toBeCloseTo(Math.sqrt(m.intervals.mse.high), 15);
    expect(regressionMetrics([1], [2]).intervals.mae).toMatchObject({ low: -Infinity, high: Infinity });
  });

  it('refuses non-finite values naming the field and row', () => {
    expect(() => regressionMetrics([1, Number.NaN], [1, 2])).toThrow(
      /^y_true\[1\]: expected a finite number, got NaN$/,
    );
    expect(() => regressionMetrics([1], [1, 2])).toThrow(/^y_pred: expected 1 values/);
    expect(() => new RegressionAccumulator().add(1, Infinity)).toThrow(/^y_pred:/);
  });
});
