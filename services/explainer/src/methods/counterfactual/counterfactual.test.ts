import { InvalidArgumentError } from '@sightline/errors';
import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import type { FeatureSpace, MethodContext, RowEvaluator, WeightedRows } from '../method.js';
import type { CounterfactualParams, CounterfactualResult } from './counterfactual-types.js';
import { counterfactual } from './index.js';
import { countingEvaluator, rowwise } from './testing-evaluator.js';

const FEATURES = 3;

/** Seeded uniform background rows in [0, 10) per feature (categorical features: indices 0..3). */
function uniformBackground(count: number, seed: number, categorical: number[] = []): WeightedRows {
  const random = seededRandom(seed);
  const rows = new Float64Array(count * FEATURES);
  for (let i = 0; i < rows.length; i++) {
    rows[i] = categorical.includes(i % FEATURES) ? random.nextInt(4) : 10 * random.nextFloat();
  }
  return { featureCount: FEATURES, rows, weights: new Float64Array(count).fill(1), count };
}

function spaceOf(categorical: number[] = []): FeatureSpace {
  return {
    featureCount: FEATURES,
    featureNames: ['a', 'b', 'c'],
    categorical: new Map(categorical.map((f) => [f, ['w', 'x', 'y', 'z']])),
  };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
/** Two classes; class 1's probability rises with feature 0 only, crossing 0.5 at 5. */
const onlyFirstMatters = (row: Float64Array) => {
  const p = sigmoid(4 * (row[0]! - 5));
  return [1 - p, p];
};

function params(overrides: Partial<CounterfactualParams> = {}): CounterfactualParams {
  return {
    goal: { kind: 'other-class' },
    targetProbability: 0.5,
    distance: 'l1-mad',
    featureRanges: new Map(),
    immutableFeatures: [],
    maxChangedFeatures: undefined,
    count: 1,
    ...overrides,
  };
}

function contextOf(
  evaluator: RowEvaluator,
  background: WeightedRows,
  categorical: number[] = [],
  progress: number[] = [],
): MethodContext {
  return {
    evaluator,
    space: spaceOf(categorical),
    background,
    random: seededRandom(7),
    progress: (fraction) => progress.push(fraction),
  };
}

/** The test's own L1 distance over MAD-scaled features (unit weights: the plain median), categorical changes costing 1. */
function l1MadDistance(
  background: WeightedRows,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  categorical: number[] = [],
) {
  const median = (values: number[]) => {
    const s = [...values].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  let sum = 0;
  for (let f = 0; f < FEATURES; f++) {
    if (categorical.includes(f)) {
      sum += a[f] === b[f] ? 0 : 1;
      continue;
    }
    const column = Array.from({ length: background.count }, (_, r) => background.rows[r * FEATURES + f]!);
    const center = median(column);
    const mad = median(column.map((v) => Math.abs(v - center))) || 1;
    sum += Math.abs(a[f]! - b[f]!) / mad;
  }
  return sum;
}

/** The nearest background row the model assigns to the goal: the bound a search must beat. */
function nearestGoalRow(
  background: WeightedRows,
  instance: Float64Array,
  reaches: (row: Float64Array) => boolean,
  categorical: number[] = [],
) {
  let best = Number.POSITIVE_INFINITY;
  let row: Float64Array | undefined;
  for (let r = 0; r < background.count; r++) {
    const candidate = background.rows.subarray(r * FEATURES, (r + 1) * FEATURES);
    if (!reaches(candidate)) continue;
    const d = l1MadDistance(background, instance, candidate, categorical);
    if (d < best) {
      best = d;
      row = candidate;
    }
  }
  return { distance: best, row };
}

async function explain(
  score: (row: Float64Array) => ArrayLike<number>,
  outputCount: number,
  instance: number[],
  settings: Partial<CounterfactualParams> = {},
  options: { background?: WeightedRows; categorical?: number[]; maxCalls?: number } = {},
) {
  const background = options.background ?? uniformBackground(200, 1, options.categorical);
  const evaluator = countingEvaluator(FEATURES, outputCount, rowwise(FEATURES, outputCount, score), {
    maxCalls: options.maxCalls,
  });
  const progress: number[] = [];
  const outcome = await counterfactual.explainRow(
    Float64Array.from(instance),
    params(settings),
    contextOf(evaluator, background, options.categorical, progress),
  );
  return { outcome, background, evaluator, progress };
}

function firstFound(result: CounterfactualResult) {
  expect(result.found.length).toBeGreaterThan(0);
  return result.found[0]!;
}

describe('counterfactual (plain functions)', () => {
  it('finds the boundary of the only feature that matters and prunes the others (sparsity)', async () => {
    const instance = Float64Array.from([2, 3, 7]);
    const { outcome, background } = await explain(onlyFirstMatters, 2, [...instance]);
    expect(outcome.complete).toBe(true);
    expect(outcome.result.originalPrediction).toBe(0);
    const found = firstFound(outcome.result);
    // Re-evaluated: it reaches class 1 with probability above 0.5.
    expect(onlyFirstMatters(found.values)[1]).toBeGreaterThan(0.5);
    expect(found.prediction).toBe(1);
    // The nearest background row of class 1 changes every feature; pruning leaves one.
    const bound = nearestGoalRow(background, instance, (row) => onlyFirstMatters(row)[1]! > 0.5);
    expect(Array.from(bound.row!).every((v, f) => v !== instance[f])).toBe(true);
    expect(found.changedFeatures).toBe(1);
    expect(found.changes.map((c) => c.index)).toEqual([0]);
    expect(found.values[1]).toBe(3);
    expect(found.values[2]).toBe(7);
    // The line search and shrinking bring feature 0 close to the boundary at 5.
    expect(found.values[0]).toBeGreaterThan(5);
    expect(found.values[0]).toBeLessThan(5.1);
    expect(found.distance).toBeLessThan(bound.distance);
    expect(found.distance).toBeCloseTo(l1MadDistance(background, instance, found.values), 12);
  });

  it('prunes the features that do not matter from background starts (no single-feature move reaches the goal)', async () => {
    // Class 1 only when a > 6 and b > 6; c does not matter, so no single feature can do it.
    const both = (row: Float64Array) => {
      const p = sigmoid(6 * (Math.min(row[0]!, row[1]!) - 6));
      return [1 - p, p];
    };
    const instance = Float64Array.from([2, 3, 7]);
    const { outcome, background } = await explain(both, 2, [...instance]);
    const bound = nearestGoalRow(background, instance, (row) => both(row)[1]! > 0.5);
    expect(Array.from(bound.row!).every((v, f) => v !== instance[f])).toBe(true);
    const found = firstFound(outcome.result);
    expect(both(found.values)[1]).toBeGreaterThan(0.5);
    expect(found.changes.map((c) => c.index)).toEqual([0, 1]);
    expect(found.values[2]).toBe(7);
    expect(found.values[0]).toBeLessThan(6.05);
    expect(found.values[1]).toBeLessThan(6.05);
  });

  it('finds the L1-optimal counterfactual of a linear model that no single feature can flip (to 1%)', async () => {
    // Logistic regression over 8 features in [0, 10): the nearest point under L1 over MAD moves
    // the features in order of weight × MAD to their range's end until the logit reaches 0
    // (a fractional knapsack), which the test computes on its own.
    const WIDTH = 8;
    const weights = [3, 1, 0.5, 2, 0.2, 1.5, 0.8, 0.1];
    const random = seededRandom(11);
    const count = 300;
    const rows = Float64Array.from({ length: count * WIDTH }, () => 10 * random.nextFloat());
    const background: WeightedRows = {
      featureCount: WIDTH,
      rows,
      weights: new Float64Array(count).fill(1),
      count,
    };
    const instance = new Float64Array(WIDTH).fill(1);
    const bias = -(weights.reduce((a, w) => a + w, 0) + 8.5 * (3 + 2) + 4);
    const logit = (row: ArrayLike<number>) => weights.reduce((a, w, f) => a + w * row[f]!, bias);
    const model = (row: Float64Array) => {
      const p = sigmoid(logit(row));
      return [1 - p, p];
    };
    const column = (f: number) =>
      Array.from({ length: count }, (_, r) => rows[r * WIDTH + f]!).sort((a, b) => a - b);
    const median = (s: number[]) => (s[(s.length >> 1) - 1]! + s[s.length >> 1]!) / 2;
    const features = weights.map((w, f) => {
      const c = column(f);
      const center = median(c);
      const mad = median(c.map((v) => Math.abs(v - center)).sort((a, b) => a - b));
      return { w, mad, room: c[c.length - 1]! - instance[f]! };
    });
    let needed = -logit(instance);
    let optimum = 0;
    for (const { w, mad, room } of [...features].sort((a, b) => b.w * b.mad - a.w * a.mad)) {
      const step = Math.min(room, needed / w);
      optimum += step / mad;
      needed -= step * w;
      if (needed <= 0) break;
    }
    expect(needed).toBeLessThanOrEqual(0);
    expect(features.every(({ w, room }) => w * room < -logit(instance))).toBe(true);
    const evaluator = countingEvaluator(WIDTH, 2, rowwise(WIDTH, 2, model));
    const outcome = await counterfactual.explainRow(instance, params(), {
      evaluator,
      space: { featureCount: WIDTH, featureNames: [], categorical: new Map() },
      background,
      random: seededRandom(3),
      progress: () => {},
    });
    const found = firstFound(outcome.result);
    expect(logit(found.values)).toBeGreaterThan(0);
    expect(found.distance).toBeGreaterThanOrEqual(optimum * (1 - 1e-9));
    expect(found.distance).toBeLessThanOrEqual(optimum * 1.01);
  });

  it('beats the nearest background row of the goal class on a non-linear three-class model', async () => {
    // Class by the distance from a centre: near (3, 3, 3) class 0, middle ring class 1, far class 2.
    const ringClass = (row: Float64Array) => {
      const r = Math.hypot(row[0]! - 3, row[1]! - 3, (row[2]! - 3) / 2);
      const logits = [4 * (2 - r), 0, 4 * (r - 5)];
      const max = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - max));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    };
    const argmax = (p: number[]) => p.indexOf(Math.max(...p));
    for (const [instance, goal] of [
      [[3, 3.5, 2.5], { kind: 'target-class', targetClass: 2 }],
      [[3, 3.5, 2.5], { kind: 'other-class' }],
      [[9, 9, 9], { kind: 'target-class', targetClass: 0 }],
    ] as const) {
      const x = Float64Array.from(instance);
      const { outcome, background } = await explain(ringClass, 3, [...instance], {
        goal,
        targetProbability: 0.6,
      });
      const original = argmax(ringClass(x));
      const reaches = (row: Float64Array) => {
        const p = ringClass(row);
        const c = argmax(p);
        return (goal.kind === 'target-class' ? c === goal.targetClass : c !== original) && p[c]! >= 0.6;
      };
      const found = firstFound(outcome.result);
      expect(reaches(found.values)).toBe(true);
      expect(found.distance).toBeLessThanOrEqual(nearestGoalRow(background, x, reaches).distance);
      expect(found.probability).toBeCloseTo(Math.max(...ringClass(found.values)), 12);
    }
  });

  it('respects given feature ranges and immutable features', async () => {
    // Class 1 when a + b > 12; b is immutable at 2, so a must pass 10, allowed up to 11.
    const sum = (row: Float64Array) => {
      const p = sigmoid(3 * (row[0]! + row[1]! - 12));
      return [1 - p, p];
    };
    const background = uniformBackground(200, 2);
    const { outcome } = await explain(
      sum,
      2,
      [1, 2, 5],
      { immutableFeatures: [1], featureRanges: new Map([[0, { min: 0, max: 11 }]]) },
      { background },
    );
    const found = firstFound(outcome.result);
    expect(found.values[1]).toBe(2);
    expect(found.values[0]).toBeGreaterThan(10);
    expect(found.values[0]).toBeLessThanOrEqual(11);
    expect(sum(found.values)[1]).toBeGreaterThan(0.5);
    // Feature c ranges over the background's min..max.
    const column = Array.from({ length: background.count }, (_, r) => background.rows[r * FEATURES + 2]!);
    expect(found.values[2]).toBeGreaterThanOrEqual(Math.min(...column));
    expect(found.values[2]).toBeLessThanOrEqual(Math.max(...column));
    // With a capped at 9 the goal is out of reach: none, and the search still ends complete.
    const capped = await explain(sum, 2, [1, 2, 5], {
      immutableFeatures: [1],
      featureRanges: new Map([[0, { min: 0, max: 9 }]]),
    });
    expect(capped.outcome.result.found).toEqual([]);
    expect(capped.outcome.complete).toBe(true);
  });

  it('reaches a regression target range, no farther than the nearest background row in it', async () => {
    const linear = (row: Float64Array) => [row[0]! + 2 * row[1]! - 0.5 * row[2]!];
    const instance = Float64Array.from([1, 1, 4]);
    const goal = { kind: 'target-value', range: { min: 20, max: 22 } } as const;
    const { outcome, background } = await explain(linear, 1, [...instance], { goal, count: 3 });
    expect(outcome.result.originalPrediction).toBe(1);
    expect(outcome.result.originalProbability).toBeUndefined();
    const inRange = (row: Float64Array) => linear(row)[0]! >= 20 && linear(row)[0]! <= 22;
    const bound = nearestGoalRow(background, instance, inRange).distance;
    expect(outcome.result.found.length).toBe(3);
    let previous = 0;
    for (const found of outcome.result.found) {
      expect(inRange(found.values)).toBe(true);
      expect(found.prediction).toBeCloseTo(linear(found.values)[0]!, 12);
      expect(found.probability).toBeUndefined();
      expect(found.distance).toBeGreaterThanOrEqual(previous);
      previous = found.distance;
    }
    expect(outcome.result.found[0]!.distance).toBeLessThanOrEqual(bound);
  });

  it('moves categorical features only between category indices', async () => {
    // Class 1 only for category 2 of feature c.
    const byCategory = (row: Float64Array) => (row[2] === 2 ? [0.1, 0.9] : [0.9, 0.1]);
    const { outcome } = await explain(byCategory, 2, [4, 4, 0], { count: 2 }, { categorical: [2] });
    const found = firstFound(outcome.result);
    expect(found.values[2]).toBe(2);
    expect(found.changedFeatures).toBe(1);
    expect(found.distance).toBe(1);
    for (const other of outcome.result.found) {
      expect(Number.isInteger(other.values[2])).toBe(true);
      expect(other.values[2]).toBeGreaterThanOrEqual(0);
      expect(other.values[2]).toBeLessThanOrEqual(3);
    }
  });

  it('answers an empty list when the goal cannot be reached', async () => {
    const neverClassTwo = (row: Float64Array) => [sigmoid(row[0]! - 5), 1 - sigmoid(row[0]! - 5), 0];
    const { outcome, evaluator, progress } = await explain(neverClassTwo, 3, [2, 2, 2], {
      goal: { kind: 'target-class', targetClass: 2 },
    });
    expect(outcome.result.found).toEqual([]);
    expect(outcome.complete).toBe(true);
    expect(outcome.fractionDone).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.at(-1)).toBe(1);
    // Bounded: the instance, the background in one chunk, the single-feature and greedy moves,
    // then one call per growing-spheres shell.
    expect(evaluator.calls).toBeLessThanOrEqual(1 + 1 + 2 + 12);
  });

  it('keeps max_changed_features, falling back to growing spheres when the background cannot', async () => {
    // Class 1 when a > 8 or b > 8: one changed feature suffices.
    const either = (row: Float64Array) => {
      const p = sigmoid(6 * (Math.max(row[0]!, row[1]!) - 8));
      return [1 - p, p];
    };
    const one = await explain(either, 2, [1, 1, 1], { maxChangedFeatures: 1, count: 2 });
    expect(one.outcome.result.found.length).toBe(2);
    for (const found of one.outcome.result.found) {
      expect(found.changedFeatures).toBe(1);
      expect(either(found.values)[1]).toBeGreaterThan(0.5);
    }
    // Class 1 only when a > 8 and b > 8: with one change allowed there is none.
    const both = (row: Float64Array) => {
      const p = sigmoid(6 * (Math.min(row[0]!, row[1]!) - 8));
      return [1 - p, p];
    };
    const none = await explain(both, 2, [1, 1, 1], { maxChangedFeatures: 1 });
    expect(none.outcome.result.found).toEqual([]);
    const two = await explain(both, 2, [1, 1, 1], { maxChangedFeatures: 2 });
    expect(firstFound(two.outcome.result).changedFeatures).toBe(2);
  });

  it('reports the chosen distance: L1 over range, L2 over standard deviation', async () => {
    const instance = Float64Array.from([2, 3, 7]);
    const background = uniformBackground(200, 3);
    const column = (f: number) =>
      Array.from({ length: background.count }, (_, r) => background.rows[r * FEATURES + f]!);
    for (const distance of ['l1-range', 'l2-std'] as const) {
      const { outcome } = await explain(onlyFirstMatters, 2, [...instance], { distance }, { background });
      const found = firstFound(outcome.result);
      const terms = [0, 1, 2].map((f) => {
        const values = [...column(f), instance[f]!];
        const mean = column(f).reduce((a, b) => a + b, 0) / background.count;
        const std = Math.sqrt(column(f).reduce((a, b) => a + (b - mean) ** 2, 0) / background.count);
        const divisor = distance === 'l1-range' ? Math.max(...values) - Math.min(...values) : std;
        return (found.values[f]! - instance[f]!) / divisor;
      });
      const expected =
        distance === 'l1-range' ? terms.reduce((a, t) => a + Math.abs(t), 0) : Math.hypot(...terms);
      expect(found.distance).toBeCloseTo(expected, 12);
      expect(found.changedFeatures).toBe(1);
    }
  });

  it('scales by the MAD of the weighted background (integer weights act as repeated rows)', async () => {
    const instance = [2, 3, 7];
    const small = uniformBackground(20, 4);
    const weights = Float64Array.from({ length: 20 }, (_, i) => 1 + (i % 3));
    const repeatedRows: number[] = [];
    for (let r = 0; r < 20; r++) {
      for (let k = 0; k < weights[r]!; k++)
        repeatedRows.push(...small.rows.subarray(r * FEATURES, (r + 1) * FEATURES));
    }
    const repeated: WeightedRows = {
      featureCount: FEATURES,
      rows: Float64Array.from(repeatedRows),
      weights: new Float64Array(repeatedRows.length / FEATURES).fill(1),
      count: repeatedRows.length / FEATURES,
    };
    const weighted = await explain(onlyFirstMatters, 2, instance, {}, { background: { ...small, weights } });
    const found = firstFound(weighted.outcome.result);
    expect(found.distance).toBeCloseTo(l1MadDistance(repeated, instance, found.values), 12);
  });

  it('returns distinct counterfactuals nearest first, the same ones for the same seed', async () => {
    const either = (row: Float64Array) => {
      const p = sigmoid(6 * (Math.max(row[0]!, row[1]!, row[2]!) - 8));
      return [1 - p, p];
    };
    const first = await explain(either, 2, [1, 2, 3], { count: 3 });
    const again = await explain(either, 2, [1, 2, 3], { count: 3 });
    expect(first.outcome.result.found.length).toBe(3);
    expect(again.outcome.result).toEqual(first.outcome.result);
    const distances = first.outcome.result.found.map((f) => f.distance);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    // Three different single features: a, b or c past 8.
    expect(new Set(first.outcome.result.found.map((f) => f.changes.map((c) => c.index).join())).size).toBe(3);
  });

  it('returns what it found, incomplete, when the budget runs out', async () => {
    const instance = [2, 3, 7];
    const full = await explain(onlyFirstMatters, 2, instance);
    // Instance, background, and two pruning rounds: valid starts, not yet pruned or refined.
    const partial = await explain(onlyFirstMatters, 2, instance, {}, { maxCalls: 4 });
    expect(partial.outcome.complete).toBe(false);
    expect(partial.outcome.fractionDone).toBeLessThan(1);
    expect(partial.evaluator.calls).toBeLessThanOrEqual(4);
    const found = firstFound(partial.outcome.result);
    expect(onlyFirstMatters(found.values)[1]).toBeGreaterThan(0.5);
    expect(found.distance).toBeGreaterThan(firstFound(full.outcome.result).distance);
    // No call at all: the instance's prediction is unknown and nothing is found.
    const nothing = await explain(onlyFirstMatters, 2, instance, {}, { maxCalls: 0 });
    expect(nothing.outcome).toEqual({
      result: { originalPrediction: Number.NaN, originalProbability: undefined, found: [] },
      complete: false,
      fractionDone: 0,
    });
  });

  it('rejects a target class the instance already has and an instance outside a given range', async () => {
    await expect(
      explain(onlyFirstMatters, 2, [2, 3, 7], { goal: { kind: 'target-class', targetClass: 0 } }),
    ).rejects.toThrow(/counterfactual.target_class: .*counterfactual.target_class_differs/);
    await expect(
      explain(onlyFirstMatters, 2, [2, 3, 7], { featureRanges: new Map([[2, { min: 0, max: 5 }]]) }),
    ).rejects.toThrow(InvalidArgumentError);
    await expect(
      explain((row) => [row[0]!], 1, [2, 3, 7], {
        goal: { kind: 'target-value', range: { min: 0, max: 5 } },
      }),
    ).rejects.toThrow(/already lies in \[0, 5\]/);
  });
});
