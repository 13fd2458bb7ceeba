import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chi2Contingency } from './chi2-contingency.js';

const table2xk = fc
  .integer({ min: 2, max: 12 })
  .chain((k) =>
    fc.tuple(
      fc.array(fc.integer({ min: 1, max: 500 }), { minLength: k, maxLength: k }),
      fc.array(fc.integer({ min: 1, max: 500 }), { minLength: k, maxLength: k }),
    ),
  );

describe('chi2Contingency properties', () => {
  it('p in [0, 1], dof k - 1, symmetric under swapping rows and permuting columns', () => {
    fc.assert(
      fc.property(table2xk, ([a, b]) => {
        const r = chi2Contingency([a, b]);
        expect(r.dof).toBe(a.length - 1);
        expect(r.pValue).toBeGreaterThanOrEqual(0);
        expect(r.pValue).toBeLessThanOrEqual(1);
        const swapped = chi2Contingency([b, a]);
        expect(swapped.statistic).toBeCloseTo(r.statistic, 9);
        const reversed = chi2Contingency([[...a].reverse(), [...b].reverse()]);
        expect(reversed.pValue).toBeCloseTo(r.pValue, 12);
      }),
    );
  });

  it('proportional rows give statistic 0 and p 1 without correction', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 3, maxLength: 10 }), (a) => {
        const r = chi2Contingency([a, a.map((v) => 3 * v)], { correction: false });
        expect(r.statistic).toBeCloseTo(0, 9);
        expect(r.pValue).toBeCloseTo(1, 9);
      }),
    );
  });
});

describe('chi2Contingency input', () => {
  it('names the cell whose expected count is zero', () => {
    expect(() =>
      chi2Contingency([
        [1, 0, 3],
        [2, 0, 4],
      ]),
    ).toThrow(/row 0, column 1: the expected count is zero/);
  });

  it('refuses negative, NaN and ragged tables, and an empty one', () => {
    expect(() =>
      chi2Contingency([
        [1, -1],
        [1, 1],
      ]),
    ).toThrow(/row 0, column 1: counts must be finite and >= 0, got -1/);
    expect(() =>
      chi2Contingency([
        [1, Number.NaN],
        [1, 1],
      ]),
    ).toThrow(/got NaN/);
    expect(() => chi2Contingency([[1, 2], [1]])).toThrow(/row 1: expected 2 columns like row 0, got 1/);
    expect(() => chi2Contingency([])).toThrow(/at least one row and one column/);
  });

  it('applies Yates only with one degree of freedom', () => {
    const t = [
      [3, 7],
      [6, 2],
    ];
    expect(chi2Contingency(t).statistic).toBeLessThan(chi2Contingency(t, { correction: false }).statistic);
    const t3 = [
      [3, 7, 5],
      [6, 2, 5],
    ];
    expect(chi2Contingency(t3).statistic).toBe(chi2Contingency(t3, { correction: false }).statistic);
  });
});
