import type { GradientModel } from '../gradient-model.js';
import type { RowEvaluator } from '../method.js';

/**
 * The relative step of the central differences: h_i = 1e-3 · max(1, |x_i|). The models
 * answer in float32 through V2, so the rounding part of the error is about
 * 6e-8 · |f| / h ≈ 6e-5 · |f| and the truncation part h² f''' / 6, both small next to the
 * 1e-2 completeness the IG tests ask for.
 */
export const FINITE_DIFFERENCE_STEP = 1e-3;

/**
 * Gradients by central differences through the black box: for each point, 2 × features rows
 * (x ± h e_i), evaluated in one `evaluate` call per path batch (the evaluator splits it into
 * model calls of at most the budget's rows per call and throws BudgetExhaustedError when the
 * budget cannot afford them). Chosen explicitly only (GRADIENT_SOURCE_FINITE_DIFFERENCES):
 * it costs 2 · features rows per step, which suits small tabular models only.
 */
export function finiteDifferenceModel(evaluator: RowEvaluator): GradientModel {
  const featureCount = evaluator.featureCount;
  const outputCount = evaluator.outputCount;
  return {
    featureCount,
    outputCount,
    backend: 'finite-differences',
    predict: (rows) => evaluator.evaluate(rows),
    async gradients(rows, outputIndex) {
      const points = rows.length / featureCount;
      const probes = new Float64Array(points * 2 * featureCount * featureCount);
      const steps = new Float64Array(points * featureCount);
      for (let p = 0; p < points; p++) {
        const point = rows.subarray(p * featureCount, (p + 1) * featureCount);
        for (let i = 0; i < featureCount; i++) {
          const h = FINITE_DIFFERENCE_STEP * Math.max(1, Math.abs(point[i]!));
          steps[p * featureCount + i] = h;
          const plus = (p * featureCount + i) * 2 * featureCount;
          const minus = plus + featureCount;
          probes.set(point, plus);
          probes.set(point, minus);
          probes[plus + i] = point[i]! + h;
          probes[minus + i] = point[i]! - h;
        }
      }
      const scores = await evaluator.evaluate(probes);
      const gradients = new Float64Array(points * featureCount);
      for (let j = 0; j < points * featureCount; j++) {
        const plus = scores[2 * j * outputCount + outputIndex]!;
        const minus = scores[(2 * j + 1) * outputCount + outputIndex]!;
        gradients[j] = (plus - minus) / (2 * steps[j]!);
      }
      return gradients;
    },
  };
}
