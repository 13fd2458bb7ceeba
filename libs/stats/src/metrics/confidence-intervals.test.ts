import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { bootstrapInterval } from './bootstrap-interval.js';
import { wilsonInterval } from './confidence-intervals.js';
import { regressionMetrics } from './regression-accumulator.js';

describe('wilsonInterval', () => {
  it('stays in [0, 1], contains the observed share and narrows with more trials (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, share) => {
          const k = Math.floor(share * n);
          const ci = wilsonInterval(k, n);
          expect(ci.low).toBeGreaterThanOrEqual(0);
          expect(ci.high).toBeLessThanOrEqual(1);
          expect(ci.low).toBeLessThanOrEqual(k / n + 1e-15);
          expect(ci.high).toBeGreaterThanOrEqual(k / n - 1e-15);
          const wider = wilsonInterval(k, n, 0.99);
          expect(wider.high - wider.low).toBeGreaterThanOrEqual(ci.high - ci.low);
        },
      ),
    );
    expect(() => wilsonInterval(3, 2)).toThrow(/successes <= trials/);
    expect(() => wilsonInterval(1, 2, 1)).toThrow(/^confidence: expected a level in \(0, 1\), got 1$/);
  });

  it('covers the true accuracy in about 95% of 2,000 seeded windows of 200 pairs at p = 0.9', () => {
    const random = seededRandom(7);
    let covered = 0;
    for (let trial = 0; trial < 2000; trial++) {
      let k = 0;
      for (let i = 0; i < 200; i++) if (random.nextFloat() < 0.9) k += 1;
      const ci = wilsonInterval(k, 200);
      if (ci.low <= 0.9 && 0.9 <= ci.high) covered += 1;
    }
    // Binomial(2000, 0.95) has sd 9.7: 0.93-0.97 is beyond 4 sd either way.
    expect(covered / 2000).toBeGreaterThan(0.93);
    expect(covered / 2000).toBeLessThan(0.97);
  });
});

describe('bootstrapInterval', () => {
  const random = seededRandom(3);
  const yTrue = Array.from({ length: 200 }, () => random.nextNormal());
  const yPred = yTrue.map((y) => y + 0.5 * random.nextNormal());
  const r2Of = (indices: Uint32Array) =>
    regressionMetrics(
      Array.from(indices, (i) => yTrue[i]!),
      Array.from(indices, (i) => yPred[i]!),
    ).r2;

  it('is reproducible from its seed and brackets the full-sample R²', () => {
    const a = bootstrapInterval(200, r2Of, { seed: 11, resamples: 300 });
    const b = bootstrapInterval(200, r2Of, { seed: 11, resamples: 300 });
    expect(a).toEqual(b);
    expect(a.validResamples).toBe(300);
    const full = r2Of(Uint32Array.from({ length: 200 }, (_, i) => i));
    expect(a.low).toBeLessThan(full);
    expect(a.high).toBeGreaterThan(full);
    expect(bootstrapInterval(200, r2Of, { seed: 12, resamples: 300 })).not.toEqual(a);
  });

  it('leaves out undefined resamples and refuses bad counts', () => {
    expect(bootstrapInterval(3, () => Number.NaN, { resamples: 5 })).toMatchObject({ validResamples: 0 });
    expect(() => bootstrapInterval(0, () => 0)).toThrow(/^bootstrap: count must be an integer >= 1/);
    expect(() => bootstrapInterval(5, () => 0, { resamples: 1e6 })).toThrow(
      /resamples must be an integer in \[1, 100000\]/,
    );
  });
});
