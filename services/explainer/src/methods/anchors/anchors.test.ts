import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { IRIS_FEATURES, readIris } from '../../../test/iris-onnx.js';
import type { FeatureSpace, MethodContext, RowEvaluator, WeightedRows } from '../method.js';
import { ANCHORS_DEFAULTS, type AnchorsParams, anchors } from './index.js';
import { anchorsTestEvaluator } from './testing-evaluator.js';

const params: AnchorsParams = { ...ANCHORS_DEFAULTS, maxAnchorSize: undefined };

function context(
  evaluator: RowEvaluator,
  space: FeatureSpace,
  background: WeightedRows,
  seed = 1,
  progress: number[] = [],
): MethodContext {
  return { evaluator, space, background, random: seededRandom(seed), progress: (f) => progress.push(f) };
}

const iris = readIris();
const irisBackground: WeightedRows = {
  featureCount: 4,
  rows: iris.rows,
  count: iris.count,
  weights: new Float64Array(iris.count).fill(1),
};
const irisSpace: FeatureSpace = { featureCount: 4, featureNames: IRIS_FEATURES, categorical: new Map() };
/** A rule model on petal width and length (setosa, versicolor, virginica scores). */
const petalRule = (r: Float64Array) =>
  r[3]! <= 0.8 ? [1, 0, 0] : r[3]! <= 1.75 && r[2]! <= 4.95 ? [0, 1, 0] : [0, 0, 1];
const irisRow = (i: number) => iris.rows.slice(i * 4, i * 4 + 4);

describe('anchors on iris with a rule model', () => {
  it('anchors a setosa row on petal width, as Alibi writes it, in few batched calls', async () => {
    const evaluator = anchorsTestEvaluator(4, 3, petalRule);
    const progress: number[] = [];
    const outcome = await anchors.explainRow(
      irisRow(0),
      params,
      context(evaluator, irisSpace, irisBackground, 1, progress),
    );
    const { result } = outcome;
    expect(outcome.complete).toBe(true);
    expect(outcome.fractionDone).toBe(1);
    expect(progress.at(-1)).toBe(1);
    expect(result.prediction).toBe(0);
    expect(result.predicates.map((p) => p.text)).toEqual(['petal width (cm) <= 0.30']);
    expect(result.predicates[0]).toMatchObject({ featureIndex: 3, featureName: 'petal width (cm)' });
    expect(result.predicates[0]!.allowed).toEqual({ above: Number.NEGATIVE_INFINITY, atMost: 0.3 });
    expect(result.precision).toBe(1);
    expect(result.thresholdMet).toBe(true);
    expect(result.precisionLowerBound).toBeGreaterThan(0.9);
    expect(result.precisionLowerBound).toBeLessThanOrEqual(result.precision);
    // Coverage: the share of iris rows with petal width <= 0.3 (41 of 150), estimated on 10,000 draws.
    expect(Math.abs(result.coverage - 41 / 150)).toBeLessThan(5 * Math.sqrt((0.27 * 0.73) / 10_000));
    expect(result.coveredTrueCount).toBe(10);
    expect(result.coveredFalseCount).toBe(0);
    for (let i = 0; i < result.coveredTrueCount; i++)
      expect(result.coveredTrue[i * 4 + 3]).toBeLessThanOrEqual(0.3);
    // The instance rides with the first draw; every later call carries whole batches.
    expect(evaluator.rows).toBe(1 + result.samples);
    expect(evaluator.calls).toBeLessThanOrEqual(3);
  });

  it('finds a two-sided interval and reports the anchor growing predicate by predicate', async () => {
    const evaluator = anchorsTestEvaluator(4, 3, petalRule);
    const outcome = await anchors.explainRow(
      irisRow(60),
      params,
      context(evaluator, irisSpace, irisBackground, 2),
    );
    const { result } = outcome;
    expect(result.prediction).toBe(1);
    expect(result.predicates.length).toBeGreaterThan(1);
    // Coverage never grows as predicates are added.
    for (let k = 1; k < result.predicates.length; k++) {
      expect(result.predicates[k]!.coverage).toBeLessThanOrEqual(result.predicates[k - 1]!.coverage);
    }
    expect(result.predicates.at(-1)!.precision).toBe(result.precision);
    expect(result.predicates.at(-1)!.coverage).toBe(result.coverage);
    // Each step's coverage is the share of iris rows its rule holds for, to 5 standard errors of 10,000 draws.
    result.predicates.forEach((_, k) => {
      const rule = result.predicates.slice(0, k + 1);
      let holding = 0;
      for (let i = 0; i < iris.count; i++) {
        const row = irisRow(i);
        const holds = rule.every(({ featureIndex, allowed }) =>
          'above' in allowed
            ? row[featureIndex]! > allowed.above && row[featureIndex]! <= allowed.atMost
            : false,
        );
        if (holds) holding++;
      }
      const share = holding / iris.count;
      const tolerance = 5 * Math.sqrt((share * (1 - share)) / 10_000) + 1e-9;
      expect(Math.abs(result.predicates[k]!.coverage - share)).toBeLessThanOrEqual(tolerance);
    });
    // Model calls batch many rows each: never one call per sample.
    expect(evaluator.rows / evaluator.calls).toBeGreaterThan(50);
  });

  it('gives the same anchor for the same seed', async () => {
    const run = async () =>
      (
        await anchors.explainRow(
          irisRow(75),
          params,
          context(anchorsTestEvaluator(4, 3, petalRule), irisSpace, irisBackground, 9),
        )
      ).result;
    const [a, b] = [await run(), await run()];
    expect(a.predicates).toEqual(b.predicates);
    expect(a.samples).toBe(b.samples);
  });

  it('returns the empty anchor when the model answers one class everywhere', async () => {
    const evaluator = anchorsTestEvaluator(4, 3, () => [0, 0, 1]);
    const { result, complete } = await anchors.explainRow(
      irisRow(5),
      params,
      context(evaluator, irisSpace, irisBackground),
    );
    expect(complete).toBe(true);
    expect(result.predicates).toEqual([]);
    expect(result.precision).toBe(1);
    expect(result.coverage).toBe(1);
    expect(result.thresholdMet).toBe(true);
    expect(result.prediction).toBe(2);
    expect(evaluator.calls).toBe(1);
  });

  it('reads a single output as a class label, rounded', async () => {
    const evaluator = anchorsTestEvaluator(4, 1, (r) => [r[3]! <= 0.8 ? 0.2 : 1.1]);
    const { result } = await anchors.explainRow(
      irisRow(120),
      params,
      context(evaluator, irisSpace, irisBackground),
    );
    expect(result.prediction).toBe(1);
    expect(result.thresholdMet).toBe(true);
    // "> 0.30" would keep the setosa rows of width 0.4-0.6 (about 8% of the rest): "> 1.30" is the widest that holds.
    expect(result.predicates.map((p) => p.text)).toEqual(['petal width (cm) > 1.30']);
  });
});

describe('anchors with categorical features', () => {
  // colour (0 red, 1 green, 2 blue), size "<10" / ">=10", and a numeric noise column.
  const space: FeatureSpace = {
    featureCount: 3,
    featureNames: ['colour', 'size', 'noise'],
    categorical: new Map([
      [0, ['red', 'green', 'blue']],
      [1, ['<10', '>=10']],
    ]),
  };
  const random = seededRandom(11);
  const count = 300;
  const rows = new Float64Array(count * 3);
  for (let i = 0; i < count; i++)
    rows.set([random.nextInt(3), random.nextInt(2), random.nextNormal()], i * 3);
  const background: WeightedRows = { featureCount: 3, rows, count, weights: new Float64Array(count).fill(1) };

  it('writes "feature = category", and the category alone when it holds < or >', async () => {
    // Red is class 1 whatever else; otherwise size decides.
    const model = (r: Float64Array) => (r[0] === 0 ? [0, 1] : r[1] === 1 ? [0, 1] : [1, 0]);
    const red = await anchors.explainRow(
      Float64Array.of(0, 0, 0.3),
      params,
      context(anchorsTestEvaluator(3, 2, model), space, background),
    );
    expect(red.result.predicates.map((p) => p.text)).toEqual(['colour = red']);
    expect(red.result.predicates[0]!.allowed).toEqual({ category: 0 });
    expect(red.result.precision).toBe(1);
    const smallBlue = await anchors.explainRow(
      Float64Array.of(2, 0, -1),
      params,
      context(anchorsTestEvaluator(3, 2, model), space, background),
    );
    expect(smallBlue.result.prediction).toBe(0);
    expect(new Set(smallBlue.result.predicates.map((p) => p.text))).toEqual(
      new Set(['colour = blue', '<10']),
    );
  });

  it('names an instance value that is no category', async () => {
    const evaluator = anchorsTestEvaluator(3, 2, () => [1, 0]);
    await expect(
      anchors.explainRow(Float64Array.of(3, 0, 0), params, context(evaluator, space, background)),
    ).rejects.toThrow(/instance feature "colour": a categorical value must be a category index 0-2, got 3/);
  });
});

describe('anchors within a budget', () => {
  it('returns the best anchor so far, incomplete, when the model calls run out', async () => {
    const evaluator = anchorsTestEvaluator(4, 3, petalRule, 4);
    const outcome = await anchors.explainRow(
      irisRow(70),
      params,
      context(evaluator, irisSpace, irisBackground, 3),
    );
    expect(outcome.complete).toBe(false);
    expect(outcome.fractionDone).toBeLessThan(1);
    expect(evaluator.calls).toBe(4);
    const { result } = outcome;
    expect(result.prediction).toBe(2);
    expect(result.samples).toBe(evaluator.rows - 1);
    expect(result.precision).toBeGreaterThan(0);
    expect(result.precisionLowerBound).toBeLessThanOrEqual(result.precision);
  });

  it('answers an empty, incomplete anchor without a prediction when no call is allowed', async () => {
    const evaluator = anchorsTestEvaluator(4, 3, petalRule, 0);
    const outcome = await anchors.explainRow(
      irisRow(70),
      params,
      context(evaluator, irisSpace, irisBackground),
    );
    expect(outcome).toMatchObject({ complete: false, fractionDone: 0 });
    expect(outcome.result).toMatchObject({
      prediction: undefined,
      predicates: [],
      samples: 0,
      thresholdMet: false,
    });
  });

  it('stops sampling an anchor once its draws outnumber the weighted rows it rests on', async () => {
    // Three background rows: no draw count can make an anchor 95% certain on three rows.
    const small: WeightedRows = {
      featureCount: 4,
      rows: iris.rows.slice(0, 12),
      count: 3,
      weights: Float64Array.of(1, 1, 1),
    };
    const evaluator = anchorsTestEvaluator(4, 3, (r) => (r[0]! > 4.95 ? [1, 0, 0] : [0, 1, 0]));
    const outcome = await anchors.explainRow(irisRow(0), params, context(evaluator, irisSpace, small));
    expect(outcome.complete).toBe(true);
    expect(outcome.result.thresholdMet).toBe(false);
    expect(outcome.result.precisionLowerBound).toBeLessThan(0.9);
  });
});

describe('anchors on a background of three rows', () => {
  it('does not claim even the empty anchor from three rows, and ends without spending the budget', async () => {
    const small: WeightedRows = {
      featureCount: 4,
      rows: iris.rows.slice(0, 12),
      count: 3,
      weights: Float64Array.of(1, 1, 1),
    };
    const evaluator = anchorsTestEvaluator(4, 3, () => [0, 1, 0], 1000);
    const outcome = await anchors.explainRow(irisRow(0), params, context(evaluator, irisSpace, small));
    expect(outcome.complete).toBe(true);
    expect(outcome.result.precision).toBe(1);
    expect(outcome.result.thresholdMet).toBe(false);
    expect(evaluator.calls).toBeLessThan(100);
  });
});

describe('anchors with a weighted background', () => {
  it('draws rows by weight: a row weighing 3 covers about 3/4 of the draws', async () => {
    const rows = Float64Array.of(0, 1);
    const background: WeightedRows = { featureCount: 1, rows, count: 2, weights: Float64Array.of(1, 3) };
    const space: FeatureSpace = { featureCount: 1, featureNames: ['x'], categorical: new Map() };
    // The instance's class holds only for x > 0.5: its anchor is "x > edge", covering the heavy row.
    const evaluator = anchorsTestEvaluator(1, 2, (r) => (r[0]! > 0.5 ? [0, 1] : [1, 0]));
    const { result } = await anchors.explainRow(
      Float64Array.of(1),
      { ...params, discPerc: [50] },
      context(evaluator, space, background),
    );
    expect(result.predicates.length).toBe(1);
    // 10,000 coverage draws of p = 0.75: five standard errors is 0.022.
    expect(Math.abs(result.coverage - 0.75)).toBeLessThan(0.022);
  });
});
