/**
 * What every answer must satisfy, whatever the model, ranges, immutables and categories:
 * checked over random small logistic models (fast-check). A failure is a bug, not bad luck:
 * none of these depends on the search being lucky.
 */
import { seededRandom } from '@sightline/stats';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { WeightedRows } from '../method.js';
import type { CounterfactualParams, Interval } from './counterfactual-types.js';
import { counterfactual } from './index.js';
import { countingEvaluator, rowwise } from './testing-evaluator.js';

const WIDTH = 4;
const CATEGORIES = 3;

const scenario = fc.record({
  seed: fc.integer(),
  weights: fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: WIDTH, maxLength: WIDTH }),
  bias: fc.double({ min: -4, max: 4, noNaN: true }),
  immutable: fc.subarray([0, 1, 2, 3], { maxLength: 2 }),
  categorical: fc.boolean(),
  ranged: fc.boolean(),
  maxChanged: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
  distance: fc.constantFrom('l1-mad' as const, 'l1-range' as const, 'l2-std' as const),
  count: fc.integer({ min: 1, max: 3 }),
});

describe('counterfactual invariants (property)', () => {
  it('reaches the goal inside the ranges, keeps immutables and categories, reports true distances, beats the nearest goal row', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const random = seededRandom(s.seed);
        const count = 60;
        // Feature 3 is categorical (indices 0..2) when asked; the others uniform in [0, 10).
        const isCategorical = (f: number) => s.categorical && f === 3;
        const rows = Float64Array.from({ length: count * WIDTH }, (_, i) =>
          isCategorical(i % WIDTH) ? random.nextInt(CATEGORIES) : 10 * random.nextFloat(),
        );
        const background: WeightedRows = {
          featureCount: WIDTH,
          rows,
          weights: new Float64Array(count).fill(1),
          count,
        };
        const instance = rows.slice(0, WIDTH);
        const logit = (row: ArrayLike<number>) =>
          s.weights.reduce((a, w, f) => a + w * (row[f]! - 5), s.bias);
        const model = (row: Float64Array) => {
          const p = 1 / (1 + Math.exp(-logit(row)));
          return [1 - p, p];
        };
        const original = model(instance)[1]! > model(instance)[0]! ? 1 : 0;
        const reaches = (row: ArrayLike<number>) => {
          const p = model(Float64Array.from(row));
          return original === 0 ? p[1]! > p[0]! && p[1]! >= 0.5 : p[0]! >= p[1]! && p[0]! >= 0.5;
        };
        // A given range on feature 0: a window around the instance's value.
        const ranges = new Map<number, Interval>(
          s.ranged && !isCategorical(0) ? [[0, { min: instance[0]! - 2, max: instance[0]! + 3 }]] : [],
        );
        const params: CounterfactualParams = {
          goal: { kind: 'other-class' },
          targetProbability: 0.5,
          distance: s.distance,
          featureRanges: ranges,
          immutableFeatures: s.immutable,
          maxChangedFeatures: s.maxChanged,
          count: s.count,
        };
        const evaluator = countingEvaluator(WIDTH, 2, rowwise(WIDTH, 2, model));
        const outcome = await counterfactual.explainRow(instance, params, {
          evaluator,
          space: {
            featureCount: WIDTH,
            featureNames: ['a', 'b', 'c', 'd'],
            categorical: new Map(s.categorical ? [[3, ['x', 'y', 'z']]] : []),
          },
          background,
          random: seededRandom(s.seed ^ 1),
          progress: () => {},
        });
        expect(outcome.complete).toBe(true);
        const column = (f: number) => Array.from({ length: count }, (_, r) => rows[r * WIDTH + f]!);
        const low = (f: number) => ranges.get(f)?.min ?? Math.min(...column(f), instance[f]!);
        const high = (f: number) => ranges.get(f)?.max ?? Math.max(...column(f), instance[f]!);
        const found = outcome.result.found;
        expect(found.length).toBeLessThanOrEqual(s.count);
        found.forEach((cf, i) => {
          expect(reaches(cf.values)).toBe(true);
          if (i > 0) expect(cf.distance).toBeGreaterThanOrEqual(found[i - 1]!.distance);
          for (let f = 0; f < WIDTH; f++) {
            expect(cf.values[f]).toBeGreaterThanOrEqual(low(f));
            expect(cf.values[f]).toBeLessThanOrEqual(high(f));
            if (s.immutable.includes(f)) expect(cf.values[f]).toBe(instance[f]);
            if (isCategorical(f)) expect(Number.isInteger(cf.values[f])).toBe(true);
          }
          const changed = cf.changes.map((c) => c.index);
          expect(changed).toEqual([0, 1, 2, 3].filter((f) => cf.values[f] !== instance[f]));
          expect(cf.changedFeatures).toBe(changed.length);
          if (s.maxChanged !== undefined) expect(cf.changedFeatures).toBeLessThanOrEqual(s.maxChanged);
        });
        // The test's own distance: each feature scaled by the background's MAD, range (the
        // given one, else the background's widened to the instance) or standard deviation (0
        // counts as 1); a category change costs 1.
        const median = (values: number[]) => {
          const sorted = [...values].sort((a, b) => a - b);
          const m = sorted.length >> 1;
          return sorted.length % 2 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
        };
        const scale = [0, 1, 2, 3].map((f) => {
          const c = column(f);
          const mean = c.reduce((a, v) => a + v, 0) / count;
          const value =
            s.distance === 'l1-mad'
              ? median(c.map((v) => Math.abs(v - median(c))))
              : s.distance === 'l1-range'
                ? high(f) - low(f)
                : Math.sqrt(c.reduce((a, v) => a + (v - mean) ** 2, 0) / count);
          return value > 0 ? value : 1;
        });
        const distance = (row: ArrayLike<number>) => {
          const terms = [0, 1, 2, 3].map((f) =>
            isCategorical(f)
              ? row[f] === instance[f]
                ? 0
                : 1
              : Math.abs(row[f]! - instance[f]!) / scale[f]!,
          );
          return s.distance === 'l2-std' ? Math.hypot(...terms) : terms.reduce((a, t) => a + t, 0);
        };
        for (const cf of found) expect(cf.distance).toBeCloseTo(distance(cf.values), 9);
        // Without a sparsity bound, the nearest background row (pinned and clamped into the
        // space) that reaches the goal bounds the answer: one must be found, no farther.
        if (s.maxChanged === undefined) {
          let bound = Number.POSITIVE_INFINITY;
          for (let r = 0; r < count; r++) {
            const row = Array.from({ length: WIDTH }, (_, f) =>
              s.immutable.includes(f)
                ? instance[f]!
                : Math.min(high(f), Math.max(low(f), rows[r * WIDTH + f]!)),
            );
            if (reaches(row)) bound = Math.min(bound, distance(row));
          }
          if (Number.isFinite(bound)) expect(found[0]!.distance).toBeLessThanOrEqual(bound * (1 + 1e-12));
        }
      }),
      { numRuns: 40 },
    );
  });
});
