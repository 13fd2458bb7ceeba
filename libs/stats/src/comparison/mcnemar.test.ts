import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { mcnemarPValue, mcnemarTest } from './mcnemar.js';
import { type PairedCounts, pairedCounts } from './paired-counts.js';
import { pairedAccuracyDifference } from './paired-difference-interval.js';

const table = (a: number, b: number, c: number, d: number): PairedCounts => ({
  bothCorrect: a,
  baselineOnlyCorrect: b,
  candidateOnlyCorrect: c,
  bothWrong: d,
});

const tables = fc.record({
  bothCorrect: fc.integer({ min: 0, max: 100_000 }),
  baselineOnlyCorrect: fc.integer({ min: 0, max: 100_000 }),
  candidateOnlyCorrect: fc.integer({ min: 0, max: 100_000 }),
  bothWrong: fc.integer({ min: 0, max: 100_000 }),
});

describe('pairedCounts', () => {
  it('counts the 2x2 table from per-row correctness (booleans or 0/1)', () => {
    expect(pairedCounts([1, 1, 0, 0, 1], [true, false, true, false, true])).toEqual(table(2, 1, 1, 1));
    expect(pairedCounts(new Uint8Array(0), [])).toEqual(table(0, 0, 0, 0));
  });

  it('refuses mismatched lengths and values other than 0/1/true/false, naming the field', () => {
    expect(() => pairedCounts([1, 0], [1])).toThrow(
      /^candidateCorrect: expected one value per baseline row \(2\), got 1$/,
    );
    expect(() => pairedCounts([1, 2], [1, 0])).toThrow(
      /^baselineCorrect\[1\]: expected 0, 1, true or false, got 2$/,
    );
    expect(() => pairedCounts([1, 0], [Number.NaN, 0])).toThrow(/^candidateCorrect\[0\]: .* got NaN$/);
  });
});

describe('mcnemarTest', () => {
  it('is symmetric in b and c, gives p-values in [0, 1], the corrected one never below the uncorrected (property)', () => {
    fc.assert(
      fc.property(tables, (t) => {
        const ours = mcnemarTest(t);
        const swapped = mcnemarTest({
          ...t,
          baselineOnlyCorrect: t.candidateOnlyCorrect,
          candidateOnlyCorrect: t.baselineOnlyCorrect,
        });
        expect(swapped).toEqual(ours);
        for (const part of [ours.exact, ours.chi2, ours.chi2Corrected]) {
          expect(part.pValue).toBeGreaterThanOrEqual(0);
          expect(part.pValue).toBeLessThanOrEqual(1);
        }
        // The continuity correction only shrinks the statistic, so its p-value is never smaller.
        expect(ours.chi2Corrected.pValue).toBeGreaterThanOrEqual(ours.chi2.pValue);
        expect(ours.discordant).toBe(t.baselineOnlyCorrect + t.candidateOnlyCorrect);
      }),
    );
  });

  it('gives p = 1 with no discordant rows or b = c, and ignores the concordant rows', () => {
    expect(mcnemarTest(table(100, 0, 0, 7))).toEqual({
      discordant: 0,
      exact: { statistic: 0, pValue: 1 },
      chi2: { statistic: 0, pValue: 1 },
      chi2Corrected: { statistic: 0, pValue: 1 },
    });
    const tie = mcnemarTest(table(0, 40, 40, 0));
    expect(tie.exact.pValue).toBe(1);
    expect(tie.chi2.pValue).toBe(1);
    expect(tie.chi2Corrected.pValue).toBe(1);
    expect(mcnemarTest(table(5, 10, 30, 5))).toEqual(mcnemarTest(table(5000, 10, 30, 9)));
  });

  it('selects a form by name', () => {
    const result = mcnemarTest(table(0, 10, 25, 0));
    expect(mcnemarPValue(result, 'exact')).toBe(result.exact.pValue);
    expect(mcnemarPValue(result, 'chi2')).toBe(result.chi2.pValue);
    expect(mcnemarPValue(result, 'chi2-corrected')).toBe(result.chi2Corrected.pValue);
  });

  it('refuses negative, fractional and non-finite counts, naming the field', () => {
    expect(() => mcnemarTest(table(1, -1, 2, 0))).toThrow(
      /^paired counts "baselineOnlyCorrect": expected a non-negative integer, got -1$/,
    );
    expect(() => mcnemarTest(table(1, 1, 2.5, 0))).toThrow(/"candidateOnlyCorrect".* got 2.5$/);
    expect(() => mcnemarTest(table(Number.NaN, 1, 2, 0))).toThrow(/"bothCorrect".* got NaN$/);
    expect(() => mcnemarTest(table(0, 1, 2, Number.POSITIVE_INFINITY))).toThrow(
      /"bothWrong".* got Infinity$/,
    );
  });
});

describe('pairedAccuracyDifference', () => {
  it('stays in [-1, 1] and contains the observed difference, for Newcombe and Wald (property)', () => {
    fc.assert(
      fc.property(tables, fc.constantFrom(0.8, 0.95, 0.99), (t, confidence) => {
        for (const method of ['newcombe', 'wald'] as const) {
          const result = pairedAccuracyDifference(t, confidence, method);
          const { low, high } = result.interval;
          expect(low).toBeGreaterThanOrEqual(-1 - 1e-12);
          expect(high).toBeLessThanOrEqual(1 + 1e-12);
          expect(low).toBeLessThanOrEqual(result.difference + 1e-12);
          expect(high).toBeGreaterThanOrEqual(result.difference - 1e-12);
        }
      }),
    );
  });

  it('agrees with the Wald interval when discordant rows are many', () => {
    const t = table(80_000, 4_000, 4_600, 11_400);
    const newcombe = pairedAccuracyDifference(t).interval;
    const wald = pairedAccuracyDifference(t, 0.95, 'wald').interval;
    expect(Math.abs(newcombe.low - wald.low)).toBeLessThan(2e-4);
    expect(Math.abs(newcombe.high - wald.high)).toBeLessThan(2e-4);
  });

  it('covers the true difference in about 95% of 2,000 seeded 2x2 tables of 150 pairs (Wald does not)', () => {
    // True shares: both right 0.8, baseline only 0.04, candidate only 0.08, both wrong 0.08.
    const random = seededRandom(12);
    const truth = 0.08 - 0.04;
    let newcombe = 0;
    let wald = 0;
    const runs = 2000;
    for (let run = 0; run < runs; run++) {
      const cells = [0, 0, 0, 0];
      for (let i = 0; i < 150; i++) {
        const u = random.nextFloat();
        cells[u < 0.8 ? 0 : u < 0.84 ? 1 : u < 0.92 ? 2 : 3]! += 1;
      }
      const t = table(cells[0]!, cells[1]!, cells[2]!, cells[3]!);
      const n = pairedAccuracyDifference(t).interval;
      const w = pairedAccuracyDifference(t, 0.95, 'wald').interval;
      if (n.low <= truth && truth <= n.high) newcombe += 1;
      if (w.low <= truth && truth <= w.high) wald += 1;
    }
    // Binomial(2000, 0.95) has sd 0.005: 0.93-0.97 is 4 sd either way.
    expect(newcombe / runs).toBeGreaterThan(0.93);
    expect(newcombe / runs).toBeLessThan(0.97);
    expect(wald / runs).toBeLessThan(newcombe / runs);
  });

  it('is [-1, 1] with no rows and refuses a confidence outside (0, 1)', () => {
    expect(pairedAccuracyDifference(table(0, 0, 0, 0)).interval).toMatchObject({ low: -1, high: 1 });
    expect(() => pairedAccuracyDifference(table(1, 1, 1, 1), 1)).toThrow(
      /^confidence: expected a level in \(0, 1\)/,
    );
    expect(() => pairedAccuracyDifference(table(1, 1, 1, Number.NaN))).toThrow(/"bothWrong"/);
  });
});
