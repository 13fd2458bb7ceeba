import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../random/seeded-random.js';
import { meanOverRows, pairedBootstrap } from './paired-bootstrap.js';
import { pairedCounts } from './paired-counts.js';
import { pairedAccuracyDifference } from './paired-difference-interval.js';

/** Per-row 0/1 correctness of two classifiers that agree on most rows; the candidate is right more often. */
function correctness(n: number, seed: number, baselineOnly = 0.05, candidateOnly = 0.08) {
  const random = seededRandom(seed);
  const baseline = new Float64Array(n);
  const candidate = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = random.nextFloat();
    const both = u < 0.75;
    baseline[i] = both || (u >= 0.75 && u < 0.75 + baselineOnly) ? 1 : 0;
    candidate[i] = both || (u >= 0.75 + baselineOnly && u < 0.75 + baselineOnly + candidateOnly) ? 1 : 0;
  }
  return { baseline, candidate };
}

describe('pairedBootstrap', () => {
  it('is reproducible from its seed, and another seed gives another interval', () => {
    const { baseline, candidate } = correctness(500, 3);
    const run = (seed: number) =>
      pairedBootstrap(500, meanOverRows(baseline), meanOverRows(candidate), { seed, resamples: 300 });
    expect(run(11)).toEqual(run(11));
    expect(run(12).interval).not.toEqual(run(11).interval);
  });

  it('of accuracy, matches the paired Wald interval to within a few resampling errors', () => {
    const n = 5000;
    const { baseline, candidate } = correctness(n, 4);
    const boot = pairedBootstrap(n, meanOverRows(baseline), meanOverRows(candidate), {
      seed: 1,
      resamples: 2000,
    });
    const wald = pairedAccuracyDifference(pairedCounts(baseline, candidate), 0.95, 'wald');
    expect(boot.difference).toBeCloseTo(wald.difference, 12);
    const half = (wald.interval.high - wald.interval.low) / 2;
    // 2,000 resamples put a 95% percentile end within about 5% of the half-width.
    expect(Math.abs(boot.interval.low - wald.interval.low)).toBeLessThan(0.1 * half);
    expect(Math.abs(boot.interval.high - wald.interval.high)).toBeLessThan(0.1 * half);
    expect(boot.pValueGreater).toBeLessThan(0.01);
    expect(boot.pValueLess).toBeGreaterThan(0.99);
  });

  it('gives identical models a zero difference, a [0, 0] interval and both p-values 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.integer(),
        (values, seed) => {
          const metric = meanOverRows(values);
          const result = pairedBootstrap(values.length, metric, metric, { seed, resamples: 20 });
          expect(result.difference).toBe(0);
          expect(result.interval.low).toBe(0);
          expect(result.interval.high).toBe(0);
          expect(result.pValueGreater).toBe(1);
          expect(result.pValueLess).toBe(1);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('leaves out resamples where a metric is undefined', () => {
    const result = pairedBootstrap(
      3,
      // Undefined when the first two draws repeat a row: never on all rows, often in a resample of 3.
      (indices) => (indices[0] === indices[1] ? Number.NaN : 1),
      () => 2,
      { seed: 5, resamples: 200 },
    );
    expect(result.validResamples).toBeGreaterThan(0);
    expect(result.validResamples).toBeLessThan(200);
  });

  it('refuses a bad count, resample count, confidence or a metric undefined on all rows, naming the field', () => {
    const metric = meanOverRows([1, 2, 3]);
    expect(() => pairedBootstrap(0, metric, metric)).toThrow(
      /^paired bootstrap "count": expected an integer/,
    );
    expect(() => pairedBootstrap(3, metric, metric, { resamples: 0 })).toThrow(
      /"resamples": expected an integer/,
    );
    expect(() => pairedBootstrap(3, metric, metric, { confidence: Number.NaN })).toThrow(/^confidence:/);
    expect(() => pairedBootstrap(3, metric, () => Number.NaN)).toThrow(/must be finite on all rows/);
  });
});
