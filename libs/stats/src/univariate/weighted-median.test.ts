import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { weightedMedian } from './weighted-median.js';

/** The median by definition: sort the values repeated by their integer weights, take the middle (mean of two when even). */
function medianOfRepeated(values: number[], weights: number[]): number {
  const repeated = values
    .flatMap((value, i) => Array.from({ length: weights[i]! }, () => value))
    .sort((a, b) => a - b);
  const middle = repeated.length >> 1;
  return repeated.length % 2 === 1 ? repeated[middle]! : (repeated[middle - 1]! + repeated[middle]!) / 2;
}

const hasPython = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;

describe('weightedMedian', () => {
  it('equals the median of the values repeated by integer weights (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1e6, max: 1e6, noNaN: true }), fc.integer({ min: 1, max: 5 })), {
          minLength: 1,
          maxLength: 30,
        }),
        (pairs) => {
          const values = pairs.map(([value]) => value);
          const weights = pairs.map(([, weight]) => weight);
          expect(weightedMedian(values, weights)).toBe(medianOfRepeated(values, weights));
        },
      ),
    );
  });

  it('does not depend on the scale of the weights (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: -100, max: 100 }), fc.integer({ min: 1, max: 5 })), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.constantFrom(0.1, 0.3, 7),
        (pairs, scale) => {
          const values = pairs.map(([value]) => value);
          const weights = pairs.map(([, weight]) => weight);
          expect(
            weightedMedian(
              values,
              weights.map((w) => w * scale),
            ),
          ).toBe(weightedMedian(values, weights));
        },
      ),
    );
  });

  it.skipIf(!hasPython)("with unit weights equals numpy's median", () => {
    const values = [3.5, -1, 2, 8, 2, 0.25, 11, -4];
    const script = `import numpy as np; print(repr(float(np.median(np.array(${JSON.stringify(values)})))))`;
    const numpy = Number(spawnSync('python3', ['-c', script], { encoding: 'utf8' }).stdout.trim());
    expect(
      weightedMedian(
        values,
        values.map(() => 1),
      ),
    ).toBe(numpy);
    expect(
      weightedMedian(
        values.slice(1),
        values.slice(1).map(() => 1),
      ),
    ).toBe(
      Number(
        spawnSync(
          'python3',
          ['-c', script.replace(JSON.stringify(values), JSON.stringify(values.slice(1)))],
          {
            encoding: 'utf8',
          },
        ).stdout.trim(),
      ),
    );
  });

  it('rejects an empty sample, a length mismatch and a weight that is not > 0', () => {
    expect(() => weightedMedian([], [])).toThrow(RangeError);
    expect(() => weightedMedian([1, 2], [1])).toThrow(/expected 2 weights/);
    expect(() => weightedMedian([1, 2], [1, 0])).toThrow(/weights\[1\]/);
  });
});
