import { describe, expect, it } from 'vitest';
import type { FeatureSpace, WeightedRows } from '../method.js';
import { orderedBackgroundStarts } from './background-starts.js';
import type { CounterfactualParams } from './counterfactual-types.js';
import { buildSearchSpace } from './search-space.js';

const space: FeatureSpace = {
  featureCount: 3,
  featureNames: ['a', 'b', 'c'],
  categorical: new Map([[2, ['x', 'y', 'z']]]),
};

function rows(values: number[][], weights?: number[]): WeightedRows {
  return {
    featureCount: 3,
    rows: Float64Array.from(values.flat()),
    weights: Float64Array.from(weights ?? values.map(() => 1)),
    count: values.length,
  };
}

const params = (overrides: Partial<CounterfactualParams> = {}): CounterfactualParams => ({
  goal: { kind: 'other-class' },
  targetProbability: 0.5,
  distance: 'l1-mad',
  featureRanges: new Map(),
  immutableFeatures: [],
  maxChangedFeatures: undefined,
  count: 1,
  ...overrides,
});

const background = rows([
  [0, 10, 0],
  [1, 10, 1],
  [2, 10, 2],
  [4, 10, 1],
  [8, 10, 0],
]);

describe('buildSearchSpace', () => {
  it('scales by the weighted MAD (a MAD of 0 counts as 1) and ranges over the background widened to the instance', () => {
    const s = buildSearchSpace(Float64Array.from([9, 10, 1]), params(), space, background);
    // a: median 2, |a - 2| = 2 1 0 2 6, MAD 2; b: constant, MAD 0 -> 1.
    expect(Array.from(s.scale.subarray(0, 2))).toEqual([2, 1]);
    expect([s.low[0], s.high[0]]).toEqual([0, 9]);
    // Weights 1 1 1 1 3 move a's median to 4 (|a - 4| = 4 3 2 0 4, weighted MAD 4).
    const weighted = buildSearchSpace(Float64Array.from([9, 10, 1]), params(), space, {
      ...background,
      weights: Float64Array.from([1, 1, 1, 1, 3]),
    });
    expect(weighted.scale[0]).toBe(4);
    // A categorical change costs 1; continuous ones |difference| / scale.
    expect(s.distanceTo(Float64Array.from([5, 12, 2]), 0)).toBe(4 / 2 + 2 / 1 + 1);
  });

  it('uses the range or the standard deviation for the other distances, and keeps a given infinite end', () => {
    const instance = Float64Array.from([1, 10, 1]);
    const byRange = buildSearchSpace(
      instance,
      params({
        distance: 'l1-range',
        featureRanges: new Map([[0, { min: -2, max: Number.POSITIVE_INFINITY }]]),
      }),
      space,
      background,
    );
    expect(byRange.low[0]).toBe(-2);
    expect(byRange.high[0]).toBe(Number.POSITIVE_INFINITY);
    expect([byRange.boxLow[0], byRange.boxHigh[0]]).toEqual([-2, 8]);
    expect(byRange.scale[0]).toBe(10);
    const byStd = buildSearchSpace(instance, params({ distance: 'l2-std' }), space, background);
    const a = [0, 1, 2, 4, 8];
    const mean = 3;
    expect(byStd.scale[0]).toBeCloseTo(Math.sqrt(a.reduce((sum, v) => sum + (v - mean) ** 2, 0) / 5), 12);
    expect(byStd.distanceTo(Float64Array.from([1 + byStd.scale[0]!, 10, 2]), 0)).toBeCloseTo(Math.SQRT2, 12);
  });

  it('clamps categories onto allowed indices and continuous values into their range', () => {
    const s = buildSearchSpace(
      Float64Array.from([1, 10, 1]),
      params({ featureRanges: new Map([[2, { min: 0.5, max: 2 }]]) }),
      space,
      background,
    );
    expect(s.clamp(2, 0)).toBe(1);
    expect(s.clamp(2, 1.4)).toBe(1);
    expect(s.clamp(2, 7)).toBe(2);
    expect(s.clamp(0, -3)).toBe(0);
    expect(s.clamp(0, 3.5)).toBe(3.5);
  });

  it('rejects an instance outside a given range and a missing background', () => {
    expect(() =>
      buildSearchSpace(
        Float64Array.from([1, 10, 1]),
        params({ featureRanges: new Map([[0, { min: 2, max: 3 }]]) }),
        space,
        background,
      ),
    ).toThrow(
      /counterfactual.feature_ranges: the instance's feature 0 \(a\) is 1, outside its range \[2, 3\]/,
    );
    expect(() => buildSearchSpace(Float64Array.from([1, 10, 1]), params(), space, undefined)).toThrow(
      /rule "background.set"/,
    );
  });
});

describe('orderedBackgroundStarts', () => {
  it('pins immutables, clamps, drops duplicates and the instance itself, nearest first', () => {
    const instance = Float64Array.from([1, 10, 1]);
    const given = rows([
      [1, 3, 1],
      [8, 10, 0],
      [4, 99, 1],
      [4, 10, 1],
      [0, 10, 0],
      [9, 10, 0],
    ]);
    const s = buildSearchSpace(
      instance,
      params({ immutableFeatures: [1], featureRanges: new Map([[0, { min: 0, max: 5 }]]) }),
      space,
      given,
    );
    const starts = orderedBackgroundStarts(s, given);
    // [1, 3, 1] pinned is the instance; [8|9, 10, 0] clamp to the same [5, 10, 0]; [4, 99, 1]
    // pins to [4, 10, 1]. a's MAD is 3.5 (median 4), so [4, 10, 1] is 3/3.5 away, [0, 10, 0]
    // 1/3.5 + 1 (a category) and [5, 10, 0] 4/3.5 + 1.
    const listed = Array.from({ length: starts.count }, (_, r) =>
      Array.from(starts.rows.subarray(r * 3, r * 3 + 3)),
    );
    expect(listed).toEqual([
      [4, 10, 1],
      [0, 10, 0],
      [5, 10, 0],
    ]);
  });
});
