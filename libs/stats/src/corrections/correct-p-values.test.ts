import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { correctPValues } from './correct-p-values.js';

const pValues = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 80 });
const alpha = fc.double({ min: 0.001, max: 0.2, noNaN: true });

describe('correctPValues properties', () => {
  it('Bonferroni: threshold alpha / m, rejected exactly below it', () => {
    fc.assert(
      fc.property(pValues, alpha, (p, a) => {
        const r = correctPValues(p, a, 'bonferroni');
        expect(r.threshold).toBe(a / p.length);
        expect(r.rejected).toEqual(p.map((v) => v <= a / p.length));
        expect(r.anyRejected).toBe(r.rejected.some(Boolean));
      }),
    );
  });

  it('BH rejects everything Bonferroni rejects, and rejected iff p <= threshold', () => {
    fc.assert(
      fc.property(pValues, alpha, (p, a) => {
        const bh = correctPValues(p, a, 'fdr');
        const bonf = correctPValues(p, a, 'bonferroni');
        bonf.rejected.forEach((r, i) => {
          if (r) expect(bh.rejected[i]).toBe(true);
        });
        expect(bh.rejected).toEqual(p.map((v) => v <= bh.threshold));
        expect(bh.threshold).toBeGreaterThanOrEqual(bonf.threshold * (1 - 1e-15));
        expect(bh.threshold).toBeLessThanOrEqual(a);
      }),
    );
  });

  it('BH verdicts do not depend on the order of the p-values', () => {
    fc.assert(
      fc.property(pValues, alpha, (p, a) => {
        const forward = correctPValues(p, a, 'fdr');
        const backward = correctPValues([...p].reverse(), a, 'fdr');
        expect([...backward.rejected].reverse()).toEqual(forward.rejected);
        expect(backward.threshold).toBe(forward.threshold);
      }),
    );
  });
});

describe('correctPValues input', () => {
  it('refuses bad p-values, alpha, correction and an empty list, naming the field', () => {
    expect(() => correctPValues([0.1, 1.5], 0.05, 'fdr')).toThrow(
      /pValues, row 1: must be in \[0, 1\], got 1.5/,
    );
    expect(() => correctPValues([Number.NaN], 0.05, 'fdr')).toThrow(/pValues, row 0/);
    expect(() => correctPValues([0.1], 0, 'fdr')).toThrow(/alpha: must be in \(0, 1\)/);
    expect(() => correctPValues([0.1], 0.05, 'holm' as never)).toThrow(/correction: must be one of/);
    expect(() => correctPValues([], 0.05, 'bonferroni')).toThrow(/at least one p-value/);
  });
});
