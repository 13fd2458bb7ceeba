/**
 * Issue 13's Anchors fidelity: on held-out data the rule's precision is at least the requested
 * threshold (0.95) for at least 90% of explained instances. The iris model (ONNX, run
 * in-process by onnxruntime-node, the model-server's runtime) is explained with a background
 * of 100 iris rows; 30 of the other 50 are explained, and each anchor's precision is measured
 * on the 50 held-out rows.
 *
 * Measured how: Anchors' precision is the probability that the model keeps its prediction on
 * rows drawn given the anchor (Ribeiro et al. 2018; Alibi's TabularSampler): background rows
 * with the anchor's features taken from a row that satisfies it. The honest held-out reading
 * draws those rows from data the search never saw: the same sampler over the held-out rows
 * (binned with the background's edges), 2,000 fresh draws per anchor, so the estimate's own
 * standard error (≤ 0.5% near 0.95) is small against what is tested. Counting only held-out
 * rows that satisfy the rule leaves 2-18 rows per anchor on iris, where one disagreement moves
 * the precision by 5-50 points: that measures the held-out set's size more than the rule. It
 * is printed beside, not asserted.
 *
 * Settings: Alibi's defaults but `disc_perc` deciles. With quartiles some iris rows (the
 * versicolor/virginica border) sit in cells that hold both classes, so no quartile rule
 * reaches 0.95 and the fallback anchor is what gets measured: 80-90% of 50 held-out rows over
 * five splits, against 96-100% with deciles (docs/design/explainer-anchors.md).
 *
 * The explained row is left out of the held-out rows its anchor is checked on (it satisfies
 * its own anchor by construction). Seeded throughout (split, search, check), so the figures
 * are fixed; the 90% bar is met with room (96-100% over five splits), not by luck.
 */
import { seededRandom } from '@sightline/stats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { predictedClass } from '../src/methods/anchors/anchor-search.js';
import {
  binOf,
  codeOf,
  discretiseBackground,
  type FeatureCoding,
} from '../src/methods/anchors/discrete-background.js';
import { ANCHORS_DEFAULTS, type AnchorResult, anchors } from '../src/methods/anchors/index.js';
import type { Predicate } from '../src/methods/anchors/predicates.js';
import { TabularSampler } from '../src/methods/anchors/tabular-sampler.js';
import type { FeatureSpace, WeightedRows } from '../src/methods/method.js';
import { IRIS_FEATURES, irisOnnxEvaluator, readIris } from './iris-onnx.js';

const SPLIT_SEED = 2026;
const BACKGROUND_ROWS = 100;
const EXPLAINED = 30;
const CHECK_DRAWS = 2_000;

const space: FeatureSpace = { featureCount: 4, featureNames: IRIS_FEATURES, categorical: new Map() };

function weighted(rows: Float64Array): WeightedRows {
  const count = rows.length / 4;
  return { featureCount: 4, rows, weights: new Float64Array(count).fill(1), count };
}

describe('Anchors on the iris ONNX model, checked on held-out rows', () => {
  let model: Awaited<ReturnType<typeof irisOnnxEvaluator>>;
  beforeAll(async () => {
    model = await irisOnnxEvaluator();
  });
  afterAll(async () => {
    await model?.close();
  });

  it('finds anchors whose held-out precision reaches 0.95 for at least 90% of 30 instances', async () => {
    const iris = readIris();
    const order = Int32Array.from({ length: iris.count }, (_, i) => i);
    seededRandom(SPLIT_SEED).shuffle(order);
    const pick = (indices: Int32Array) => {
      const out = new Float64Array(indices.length * 4);
      indices.forEach((row, i) => {
        out.set(iris.rows.subarray(row * 4, row * 4 + 4), i * 4);
      });
      return out;
    };
    const background = weighted(pick(order.subarray(0, BACKGROUND_ROWS)));
    const heldOut = weighted(pick(order.subarray(BACKGROUND_ROWS)));
    const params = {
      ...ANCHORS_DEFAULTS,
      maxAnchorSize: undefined,
      discPerc: [10, 20, 30, 40, 50, 60, 70, 80, 90],
    };
    const trainBins = discretiseBackground(background, space, params.discPerc);

    const figures: { sampled: number; rows: number; satisfying: number; result: AnchorResult }[] = [];
    for (let i = 0; i < EXPLAINED; i++) {
      const instance = heldOut.rows.slice(i * 4, i * 4 + 4);
      const outcome = await anchors.explainRow(instance, params, {
        evaluator: model.evaluator,
        space,
        background,
        random: seededRandom(1000 + i),
        progress: () => {},
      });
      expect(outcome.complete).toBe(true);
      const result = outcome.result;
      // The anchor's predicates, rebuilt over the same bins from the instance.
      const instanceCodes = Int32Array.from(instance, (v, f) => codeOf(v, trainBins.codings[f]!));
      const anchor = anchorPredicates(result, (f) => edgesOf(trainBins.codings[f]!));
      // The held-out rows but the instance itself, which satisfies its own anchor by definition.
      const others = heldOutWithout(heldOut, i);
      const othersBins = discretiseBackground(others, space, params.discPerc, trainBins.codings);
      const sampler = new TabularSampler(othersBins, instance, instanceCodes);
      const drawn = sampler.sample(anchor, 'check', CHECK_DRAWS, seededRandom(5000 + i));
      const outputs = await model.evaluator.evaluate(drawn.rows);
      let same = 0;
      for (let r = 0; r < CHECK_DRAWS; r++) if (predictedClass(outputs, r, 3) === result.prediction) same++;
      // Beside: the held-out rows that satisfy the rule.
      const othersOutputs = await model.evaluator.evaluate(others.rows);
      let satisfying = 0;
      let satisfyingSame = 0;
      for (let r = 0; r < others.count; r++) {
        if (!anchor.every((p) => holds(othersBins.codes[r * 4 + p.feature]!, p))) continue;
        satisfying++;
        if (predictedClass(othersOutputs, r, 3) === result.prediction) satisfyingSame++;
      }
      figures.push({
        sampled: same / CHECK_DRAWS,
        rows: satisfying > 0 ? satisfyingSame / satisfying : Number.NaN,
        satisfying,
        result,
      });
    }
    const passing = figures.filter((f) => f.sampled >= params.threshold).length;
    const rowsPassing = figures.filter((f) => f.rows >= params.threshold).length;
    const met = figures.filter((f) => f.result.thresholdMet).length;
    process.stdout.write(
      `anchors on iris (ONNX): ${passing}/${EXPLAINED} anchors with held-out sampled precision >= 0.95; ` +
        `${rowsPassing}/${EXPLAINED} on held-out rows satisfying the rule; threshold met ${met}/${EXPLAINED}; ` +
        `mean samples ${mean(figures.map((f) => f.result.samples))}, ` +
        `held-out rows per rule ${figures.map((f) => f.satisfying).join(' ')}\n`,
    );
    for (const f of figures.filter((x) => x.sampled < params.threshold)) {
      process.stdout.write(
        `  below: ${f.result.predicates.map((p) => p.text).join(' AND ')} -> ${f.result.prediction}: ` +
          `search ${f.result.precision.toFixed(3)}, held-out sampled ${f.sampled.toFixed(3)}, rows ${f.rows.toFixed(3)} (${f.satisfying})\n`,
      );
    }
    expect(passing / EXPLAINED).toBeGreaterThanOrEqual(0.9);
    // 30 searches of ~5,500 rows each plus the checks: seconds, more on a loaded machine.
  }, 300_000);
});

function heldOutWithout(heldOut: WeightedRows, row: number): WeightedRows {
  const rows = new Float64Array((heldOut.count - 1) * 4);
  rows.set(heldOut.rows.subarray(0, row * 4));
  rows.set(heldOut.rows.subarray((row + 1) * 4), row * 4);
  return weighted(rows);
}

function holds(code: number, p: Predicate): boolean {
  return code >= p.low && code <= p.high;
}

/** The anchor's rule as code ranges over these edges: each feature's range as its last predicate states it. */
function anchorPredicates(result: AnchorResult, edgesOf: (feature: number) => Float64Array): Predicate[] {
  return result.predicates.map((p) => {
    if (!('above' in p.allowed))
      return { feature: p.featureIndex, low: p.allowed.category, high: p.allowed.category };
    const edges = edgesOf(p.featureIndex);
    const { above, atMost } = p.allowed;
    return {
      feature: p.featureIndex,
      low: above === Number.NEGATIVE_INFINITY ? 0 : binOf(above, edges) + 1,
      high: atMost === Number.POSITIVE_INFINITY ? edges.length : binOf(atMost, edges),
    };
  });
}

function edgesOf(coding: FeatureCoding): Float64Array {
  if (coding.kind !== 'numeric') throw new Error('iris has numeric features only');
  return coding.edges;
}

function mean(values: readonly number[]): number {
  return Math.round(values.reduce((a, b) => a + b, 0) / values.length);
}
