import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runNumpy, seededNormal } from '../../test/outlier-data.js';
import { DEFAULT_THRESHOLD_PERCENTILE, resolvePercentile, thresholdAtPercentile } from './threshold-rule.js';

function errorOf(f: () => unknown): InvalidArgumentError {
  try {
    f();
  } catch (e) {
    if (e instanceof InvalidArgumentError) return e;
    throw e;
  }
  throw new Error('expected an InvalidArgumentError');
}

describe('thresholdAtPercentile', () => {
  it("equals numpy's np.percentile (linear) bit for bit", () => {
    const normal = seededNormal(8);
    const samples = [1, 2, 3, 10, 101, 1000].map((n) => Array.from({ length: n }, normal));
    samples.push([5, 5, 5, 1, 1], [-0, 0, 1e-300, -1e300]);
    const qs = [0, 0.5, 1, 5, 25, 50, 90, 95, 97.5, 99, 99.9, 100];
    const expected = runNumpy<number[][]>(
      'print(json.dumps([[float(np.percentile(np.array(s, dtype=float), q)) for q in data["qs"]] for s in data["samples"]]))',
      { samples, qs },
    );
    samples.forEach((s, i) => {
      expect(qs.map((q) => thresholdAtPercentile(s, q))).toEqual(expected[i]);
    });
  });

  it('lies between the smallest and largest score and rises with the percentile (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 50 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (scores, p, q) => {
          const [lo, hi] = [Math.min(p, q), Math.max(p, q)];
          const a = thresholdAtPercentile(scores, lo);
          expect(a).toBeGreaterThanOrEqual(Math.min(...scores));
          expect(thresholdAtPercentile(scores, hi)).toBeGreaterThanOrEqual(a);
          // == not Object.is: the sign of a zero is no part of the rule (a lone -0 came back as 0).
          expect(thresholdAtPercentile(scores, 100) === Math.max(...scores)).toBe(true);
        },
      ),
    );
  });

  it('refuses no scores', () => {
    expect(() => thresholdAtPercentile([], 95)).toThrow(InvalidArgumentError);
  });
});

describe('resolvePercentile', () => {
  it('is 95 by default and takes a percentile, a false-positive rate or a contamination', () => {
    expect(resolvePercentile({})).toBe(DEFAULT_THRESHOLD_PERCENTILE);
    expect(resolvePercentile({ thresholdPercentile: 99 })).toBe(99);
    expect(resolvePercentile({ thresholdPercentile: 100 })).toBe(100);
    expect(resolvePercentile({ expectedFalsePositiveRate: 0.01 })).toBeCloseTo(99, 12);
    expect(resolvePercentile({ contamination: 0.1 }, 'config.')).toBeCloseTo(90, 12);
    expect(resolvePercentile({ contamination: 0.5 }, 'config.')).toBe(50);
  });

  it('names the contract field out of range, under the prefix', () => {
    const cases: [Parameters<typeof resolvePercentile>[0], string, string][] = [
      [{ thresholdPercentile: 0 }, '', 'threshold_percentile'],
      [{ thresholdPercentile: 100.5 }, 'config.', 'config.threshold_percentile'],
      [{ thresholdPercentile: Number.NaN }, '', 'threshold_percentile'],
      [{ expectedFalsePositiveRate: 0 }, '', 'expected_false_positive_rate'],
      [{ expectedFalsePositiveRate: 1 }, '', 'expected_false_positive_rate'],
      [{ contamination: 0 }, 'config.', 'config.iforest.contamination'],
      [{ contamination: 0.6 }, 'config.', 'config.iforest.contamination'],
    ];
    for (const [rule, prefix, field] of cases) {
      const error = errorOf(() => resolvePercentile(rule, prefix));
      expect(error.field).toBe(field);
      expect(error.message.startsWith(`${field}: must be in `)).toBe(true);
    }
  });

  it('refuses two rules at once, naming both and the rule', () => {
    const infer = errorOf(() =>
      resolvePercentile({ thresholdPercentile: 90, expectedFalsePositiveRate: 0.1 }),
    );
    expect(infer.message).toBe(
      'threshold_percentile and expected_false_positive_rate: set at most one of them (rule "threshold.one_rule")',
    );
    const config = errorOf(() =>
      resolvePercentile({ thresholdPercentile: 90, contamination: 0.1 }, 'config.'),
    );
    expect(config.message).toContain('config.threshold_percentile and config.iforest.contamination');
    expect(config.message).toContain('"config.threshold_one_rule"');
  });
});
