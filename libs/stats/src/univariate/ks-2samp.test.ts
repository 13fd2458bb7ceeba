import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ks2Samp, ks2SampSorted } from './ks-2samp.js';

const sample = fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 40 });
/** Values on a 1/8 grid: many ties, and exact under the cubic transform below. */
const gridSample = fc.array(
  fc.integer({ min: -1000, max: 1000 }).map((k) => k / 8),
  { minLength: 1, maxLength: 60 },
);
const method = fc.constantFrom('auto' as const, 'exact' as const, 'asymp' as const);

describe('ks2Samp properties', () => {
  it('two-sided is symmetric under swapping the samples; p in [0, 1]', () => {
    fc.assert(
      fc.property(sample, sample, method, (x, y, m) => {
        const a = ks2Samp(x, y, { method: m });
        const b = ks2Samp(y, x, { method: m });
        expect(a.statistic).toBe(b.statistic);
        // 1 vs 1 with asymp is NaN both ways, as in scipy (tested below).
        fc.pre(!(x.length === 1 && y.length === 1 && m === 'asymp'));
        expect(a.pValue).toBeCloseTo(b.pValue, 12);
        expect(a.pValue).toBeGreaterThanOrEqual(0);
        expect(a.pValue).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('swapping the samples swaps less and greater', () => {
    fc.assert(
      fc.property(sample, sample, (x, y) => {
        expect(ks2Samp(x, y, { alternative: 'less' }).statistic).toBe(
          ks2Samp(y, x, { alternative: 'greater' }).statistic,
        );
      }),
    );
  });

  it('is invariant to a strictly increasing transform of both samples', () => {
    fc.assert(
      fc.property(gridSample, gridSample, (x, y) => {
        const t = (v: number) => v ** 3 + v - 40;
        const a = ks2Samp(x, y);
        const b = ks2Samp(x.map(t), y.map(t));
        expect(b.statistic).toBe(a.statistic);
        expect(b.pValue).toBe(a.pValue);
      }),
    );
  });

  it('identical samples give statistic 0 and p-value 1', () => {
    // (1 vs 1 with asymp is NaN in scipy too: the effective n rounds to 0.)
    fc.assert(
      fc.property(
        gridSample.filter((x) => x.length >= 2),
        method,
        (x, m) => {
          const r = ks2Samp(x, [...x].reverse(), { method: m });
          expect(r.statistic).toBe(0);
          expect(r.pValue).toBe(1);
        },
      ),
    );
  });
});

describe('ks2Samp input', () => {
  it('refuses an empty sample, naming it', () => {
    expect(() => ks2Samp([], [1])).toThrow(InvalidArgumentError);
    expect(() => ks2Samp([1], [])).toThrow(/sample "y": needs at least 1 observation, got 0/);
  });

  it('refuses NaN naming the sample and row', () => {
    expect(() => ks2Samp([1, Number.NaN], [1])).toThrow(/sample "x", row 1: NaN is not allowed/);
    expect(() => ks2SampSorted(new Float64Array([1]), new Float64Array([2, Number.NaN]))).toThrow(
      /sample "y": NaN is not allowed/,
    );
  });

  it('refuses an unknown alternative or method', () => {
    expect(() => ks2Samp([1], [2], { alternative: 'both' as never })).toThrow(/alternative: must be one of/);
    expect(() => ks2Samp([1], [2], { method: 'fast' as never })).toThrow(/method: must be one of/);
  });

  it('accepts infinities as ordered values, as scipy does', () => {
    const r = ks2Samp([Number.NEGATIVE_INFINITY, 0, 1], [2, 3, Number.POSITIVE_INFINITY]);
    expect(r.statistic).toBe(1);
    expect(r.method).toBe('exact');
  });

  it('returns NaN for 1 vs 1 with asymp, as scipy (kstwo with n = round(0.5) = 0)', () => {
    expect(ks2Samp([0], [1], { method: 'asymp' }).pValue).toBeNaN();
  });

  it('uses the asymptotic p-value above maxAutoExactN', () => {
    expect(ks2Samp([1, 2, 3], [4, 5, 6], { maxAutoExactN: 2 }).method).toBe('asymp');
  });
});
