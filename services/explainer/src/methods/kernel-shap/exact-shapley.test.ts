import { describe, expect, it } from 'vitest';
import {
  FIDELITY_FEATURES,
  fidelityData,
  fidelityModel,
  LINEAR_WEIGHTS,
} from '../testing/fidelity-models.js';
import { functionEvaluator } from '../testing/function-evaluator.js';
import { EXACT_SHAPLEY_MAX_FEATURES, exactInterventionalShapley } from './exact-shapley.js';

const M = FIDELITY_FEATURES;

describe('exactInterventionalShapley (the reference)', () => {
  const { instance, background } = fidelityData(8, 25);

  it('is efficient, gives a linear model w_i (x_i − E[x_i]) and an unused feature 0', async () => {
    for (const name of ['shap-linear', 'shap-interaction', 'shap-threshold'] as const) {
      const evaluator = functionEvaluator(fidelityModel(name), { featureCount: M, outputCount: 1 });
      const [exact] = await exactInterventionalShapley(evaluator, instance, background);
      const sum = exact!.values.reduce((a, b) => a + b, 0);
      expect(sum).toBeCloseTo(exact!.prediction - exact!.expectedValue, 10);
      expect(evaluator.rows).toBe(1 + 25 + 2 ** M * 25);
    }
    const evaluator = functionEvaluator(fidelityModel('shap-linear'), { featureCount: M, outputCount: 1 });
    const [linear] = await exactInterventionalShapley(evaluator, instance, background);
    for (let j = 0; j < M; j++) {
      let mean = 0;
      for (let b = 0; b < 25; b++) mean += background.rows[b * M + j]! / 25;
      expect(linear!.values[j]).toBeCloseTo(LINEAR_WEIGHTS[j]! * (instance[j]! - mean), 10);
    }
    expect(linear!.values[6]).toBeCloseTo(0, 12);
  });

  it('gives symmetric features equal values (x0·x1 with x0, x1 swapped in the data)', async () => {
    const product = (rows: Float64Array, count: number) =>
      Float64Array.from({ length: count }, (_, r) => rows[r * 3]! * rows[r * 3 + 1]! + rows[r * 3 + 2]!);
    const evaluator = functionEvaluator(product, { featureCount: 3, outputCount: 1 });
    const [exact] = await exactInterventionalShapley(evaluator, Float64Array.of(2, 2, 1), {
      featureCount: 3,
      rows: Float64Array.of(0, 0, 0, 1, 1, 1),
      weights: Float64Array.of(1, 1),
      count: 2,
    });
    // f(x) = 5 and E[f] = (0 + 2) / 2 = 1; x2 is additive: its value is 1 − E[x2] = 0.5.
    expect(exact!.values[0]).toBeCloseTo(exact!.values[1]!, 12);
    expect(exact!.values[2]).toBeCloseTo(1 - 0.5, 12);
    expect(exact!.values[0]! + exact!.values[1]! + exact!.values[2]!).toBeCloseTo(5 - 1, 12);
  });

  it('refuses more features than it can enumerate', async () => {
    const m = EXACT_SHAPLEY_MAX_FEATURES + 1;
    const evaluator = functionEvaluator((_, count) => new Float64Array(count), {
      featureCount: m,
      outputCount: 1,
    });
    await expect(
      exactInterventionalShapley(evaluator, new Float64Array(m), {
        featureCount: m,
        rows: new Float64Array(m),
        weights: Float64Array.of(1),
        count: 1,
      }),
    ).rejects.toThrow(RangeError);
  });
});
