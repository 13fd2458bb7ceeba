import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/random/seeded-random.js';
import { weightCentres, weightedPercentiles } from '../src/univariate/weighted-percentiles.js';
import { runPython } from './run-numpy.js';

const hasPython = (() => {
  try {
    execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
})();

const QS = [0, 10, 25, 33.3, 50, 75, 90, 100];

describe.skipIf(!hasPython)('weightedPercentiles with equal weights against np.percentile', () => {
  it('equals numpy bit for bit on samples with ties, one value, and many values', () => {
    const random = seededRandom(13);
    const samples: number[][] = [
      [4.2],
      [1, 1, 1, 5],
      Array.from({ length: 150 }, () => Math.round(random.nextNormal() * 10) / 10),
      Array.from({ length: 1001 }, () => random.nextNormal() * 1e3),
    ];
    const expected = runPython<number[][]>(
      'print(json.dumps([np.percentile(np.array(s), data["qs"]).tolist() for s in data["samples"]]))',
      { samples, qs: QS },
    );
    samples.forEach((sample, i) => {
      expect(Array.from(weightedPercentiles(sample, undefined, QS))).toEqual(expected[i]);
      expect(Array.from(weightedPercentiles(sample, new Float64Array(sample.length).fill(3), QS))).toEqual(
        expected[i],
      );
    });
  });
});

describe('weightedPercentiles with weights', () => {
  it('places equal weights at numpy positions i / (n - 1)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 200 }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (n, w) => {
          const centres = weightCentres(new Float64Array(n).fill(w));
          centres.forEach((c, i) => {
            expect(c).toBeCloseTo(i / (n - 1), 12);
          });
        },
      ),
    );
  });

  it('does not change when every weight is scaled', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: -1e3, max: 1e3, noNaN: true }),
            fc.double({ min: 0.01, max: 10, noNaN: true }),
          ),
          {
            minLength: 1,
            maxLength: 50,
          },
        ),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        (pairs, scale) => {
          const values = pairs.map(([v]) => v);
          const weights = pairs.map(([, w]) => w);
          const a = weightedPercentiles(values, weights, QS);
          const b = weightedPercentiles(
            values,
            weights.map((w) => w * scale),
            QS,
          );
          a.forEach((x, k) => {
            expect(b[k]).toBeCloseTo(x, 6);
          });
        },
      ),
    );
  });

  it('is non-decreasing in q and stays within the sample range', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.double({ min: -1e3, max: 1e3, noNaN: true }),
            fc.double({ min: 0.01, max: 10, noNaN: true }),
          ),
          {
            minLength: 1,
            maxLength: 50,
          },
        ),
        (pairs) => {
          const values = pairs.map(([v]) => v);
          const result = weightedPercentiles(
            values,
            pairs.map(([, w]) => w),
            QS,
          );
          for (let k = 1; k < result.length; k++) expect(result[k]).toBeGreaterThanOrEqual(result[k - 1]!);
          // `+ 0` turns -0 into 0: the range's ends are equal values, and toBe tells -0 from 0.
          expect(result[0]! + 0).toBe(Math.min(...values) + 0);
          expect(result[result.length - 1]! + 0).toBe(Math.max(...values) + 0);
        },
      ),
    );
  });

  it('moves the median towards a heavy value', () => {
    const values = [1, 2, 3, 4, 5];
    expect(weightedPercentiles(values, [1, 1, 1, 1, 1], [50])[0]).toBe(3);
    expect(weightedPercentiles(values, [1, 1, 1, 1, 100], [50])[0]).toBeGreaterThan(4);
    expect(weightedPercentiles(values, [100, 1, 1, 1, 1], [50])[0]).toBeLessThan(2);
  });

  it('names the bad input', () => {
    expect(() => weightedPercentiles([], undefined, [50])).toThrow(/at least one value/);
    expect(() => weightedPercentiles([1, 2], [1, 0], [50])).toThrow(/weight 1 must be > 0/);
    expect(() => weightedPercentiles([1, 2], [1], [50])).toThrow(/expected 2 weights/);
    expect(() => weightedPercentiles([1, 2], undefined, [101])).toThrow(/q must be in \[0, 100\]/);
  });
});
