import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cramerVonMises2Samp } from './cramer-von-mises-2samp.js';

const gridSample = (maxLength: number) =>
  fc.array(
    fc.integer({ min: -200, max: 200 }).map((k) => k / 4),
    { minLength: 2, maxLength },
  );

describe('cramerVonMises2Samp properties', () => {
  it('is symmetric in its samples, with p in [0, 1]', () => {
    fc.assert(
      fc.property(gridSample(40), gridSample(40), (x, y) => {
        const a = cramerVonMises2Samp(x, y);
        const b = cramerVonMises2Samp(y, x);
        expect(a.statistic).toBeCloseTo(b.statistic, 12);
        expect(a.pValue).toBeCloseTo(b.pValue, 12);
        expect(a.pValue).toBeGreaterThanOrEqual(0);
        expect(a.pValue).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });

  it('depends on ranks only: a strictly increasing transform changes nothing', () => {
    fc.assert(
      fc.property(gridSample(30), gridSample(30), (x, y) => {
        const t = (v: number) => v ** 3 + 2 * v;
        expect(cramerVonMises2Samp(x.map(t), y.map(t))).toEqual(cramerVonMises2Samp(x, y));
      }),
      { numRuns: 60 },
    );
  });
});

describe('cramerVonMises2Samp input', () => {
  it('needs two observations per sample, as scipy', () => {
    expect(() => cramerVonMises2Samp([1], [1, 2])).toThrow(InvalidArgumentError);
    expect(() => cramerVonMises2Samp([1, 2], [1])).toThrow(
      /sample "y": needs at least 2 observations, got 1/,
    );
  });

  it('refuses NaN and unknown methods', () => {
    expect(() => cramerVonMises2Samp([1, Number.NaN], [1, 2])).toThrow(/sample "x", row 1: NaN/);
    expect(() => cramerVonMises2Samp([1, 2], [3, 4], { method: 'fast' as never })).toThrow(
      /method: must be one of/,
    );
  });

  it('refuses exact beyond maxExactN, naming the limit', () => {
    const big = Array.from({ length: 31 }, (_, i) => i);
    expect(() => cramerVonMises2Samp(big, big, { method: 'exact' })).toThrow(/at most 30 observations/);
  });
});
