import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import type { WeightedRows } from '../method.js';
import { functionEvaluator } from '../testing/function-evaluator.js';
import { selectFeatures } from './feature-selection.js';
import { kernelShap } from './kernel-shap.js';
import { shapDefaults, testContext } from './test-context.js';

/** 14 features, five without any effect, two interacting a little (so the regression has residuals). */
const M = 14;
const WEIGHTS = [1.2, -0.8, 0, 0.6, 0, -1.5, 0.4, 0, 0.9, 0, -0.3, 0.7, 0, 1];
const NO_EFFECT = WEIGHTS.flatMap((w, j) => (w === 0 ? [j] : []));
const model = (rows: Float64Array, count: number) => {
  const out = new Float64Array(count);
  for (let r = 0; r < count; r++) {
    let y = 0.05 * rows[r * M]! * rows[r * M + 1]!;
    for (let j = 0; j < M; j++) y += WEIGHTS[j]! * rows[r * M + j]!;
    out[r] = y;
  }
  return out;
};

function data(seed: number): { instance: Float64Array; background: WeightedRows } {
  const random = seededRandom(seed);
  const instance = Float64Array.from({ length: M }, () => random.nextNormal() * 1.5);
  const rows = Float64Array.from({ length: 30 * M }, () => random.nextNormal());
  return {
    instance,
    background: { featureCount: M, rows, weights: new Float64Array(30).fill(1), count: 30 },
  };
}

describe("Kernel SHAP feature selection (LassoLarsIC with AIC / BIC, or the LARS path's first k)", () => {
  const { instance, background } = data(21);

  it('AUTO selects when under 20% of the coalitions are evaluated: features without effect get exactly 0', async () => {
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1 });
    const outcome = await kernelShap.explainRow(
      instance,
      shapDefaults(M),
      testContext(evaluator, background, 3),
    );
    const [out] = outcome.result.outputs;
    expect(out!.coalitions / (2 ** M - 2)).toBeLessThan(0.2);
    for (const j of NO_EFFECT) {
      expect(out!.values[j]).toBe(0);
      expect(out!.stdErrors![j]).toBeNaN();
    }
    for (let j = 0; j < M; j++) {
      if (WEIGHTS[j] === 0) continue;
      expect(out!.values[j]).not.toBe(0);
      expect(Number.isFinite(out!.stdErrors![j]!)).toBe(true);
    }
    expect(Math.abs(out!.additivityError)).toBeLessThan(1e-9);
  });

  it('NONE keeps every feature; NUM_FEATURES keeps the count asked, the largest first', async () => {
    const evaluator = functionEvaluator(model, { featureCount: M, outputCount: 1 });
    const none = await kernelShap.explainRow(
      instance,
      shapDefaults(M, { l1Reg: { kind: 'none' } }),
      testContext(evaluator, background, 3),
    );
    expect(Array.from(none.result.outputs[0]!.values).every((v) => v !== 0)).toBe(true);
    const three = await kernelShap.explainRow(
      instance,
      shapDefaults(M, { l1Reg: { kind: 'num-features', count: 3 } }),
      testContext(evaluator, background, 3),
    );
    const kept = Array.from(three.result.outputs[0]!.values).flatMap((v, j) => (v !== 0 ? [j] : []));
    expect(kept).toHaveLength(3);
    const largest = Array.from(none.result.outputs[0]!.values)
      .map((v, j) => [Math.abs(v), j] as const)
      .sort((a, b) => b[0] - a[0])
      .slice(0, 3)
      .map(([, j]) => j)
      .sort((a, b) => a - b);
    expect(kept).toEqual(largest);
  });

  it('the criterion picks a step of the path: BIC keeps no more features than AIC', () => {
    const random = seededRandom(4);
    const rows = 200;
    const cols = 8;
    const design = Float64Array.from({ length: rows * cols }, () => random.nextNormal());
    const target = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      target[i] =
        2 * design[i * cols + 1]! -
        1.5 * design[i * cols + 4]! +
        0.05 * design[i * cols + 6]! +
        random.nextNormal();
    }
    const aic = selectFeatures(design, rows, cols, target, { kind: 'aic' });
    const bic = selectFeatures(design, rows, cols, target, { kind: 'bic' });
    expect(aic).toEqual(expect.arrayContaining([1, 4]));
    expect(bic).toEqual(expect.arrayContaining([1, 4]));
    expect(bic.length).toBeLessThanOrEqual(aic.length);
    expect(aic.length).toBeLessThan(cols);
    expect(selectFeatures(design, rows, cols, target, { kind: 'num-features', count: 2 })).toEqual([1, 4]);
  });
});
