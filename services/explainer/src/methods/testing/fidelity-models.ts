/**
 * The three models of issue 13's Kernel SHAP fidelity tests as plain functions of 10
 * features, with the same coefficients as the ONNX files examples/models/shap-linear,
 * shap-interaction and shap-threshold (tools/models/build_onnx_models.py writes those; the
 * ONNX tests check that both agree, so the two copies cannot drift apart).
 */
import { seededRandom } from '@sightline/stats';
import type { WeightedRows } from '../method.js';

export const FIDELITY_FEATURES = 10;

/** shap-linear: y = w·x + b. */
export const LINEAR_WEIGHTS = Object.freeze([0.8, -0.5, 0.3, 1.2, -0.9, 0.4, 0, 0.6, -0.2, 0.7]);
export const LINEAR_BIAS = 0.1;

/** shap-interaction: y = w·x + xᵀAx + c·x7·x8·x9, A's non-zero entries as [row, column, value]. */
export const INTERACTION_WEIGHTS = Object.freeze([0.5, -0.3, 0.2, 0.6, -0.4, 0.3, 0.1, -0.2, 0.4, 0.25]);
export const INTERACTION_PAIRS: readonly (readonly [number, number, number])[] = Object.freeze([
  [0, 1, 0.1],
  [2, 3, -0.08],
  [4, 5, 0.06],
  [1, 6, 0.05],
]);
export const INTERACTION_TRIPLE = 0.04;

/**
 * shap-threshold: y = v·[x > t] + c·[x0 + x1 > 0]: a step per feature (flat almost
 * everywhere, so no gradient would see it) and one joint step of two features.
 */
export const THRESHOLD_CUTS = Object.freeze([0, 0.5, -0.5, 0, 1, -1, 0.2, -0.2, 0.3, 0]);
export const THRESHOLD_VALUES = Object.freeze([0.5, -0.4, 0.3, 0.6, -0.3, 0.2, 0.4, -0.5, 0.3, 0.2]);
export const THRESHOLD_JOINT = 0.3;

export type FidelityModelName = 'shap-linear' | 'shap-interaction' | 'shap-threshold';
export const FIDELITY_MODELS: readonly FidelityModelName[] = [
  'shap-linear',
  'shap-interaction',
  'shap-threshold',
];

/** One row's output of a fidelity model. */
export function fidelityModelRow(name: FidelityModelName, x: ArrayLike<number>): number {
  switch (name) {
    case 'shap-linear':
      return dot(LINEAR_WEIGHTS, x) + LINEAR_BIAS;
    case 'shap-interaction': {
      let y = dot(INTERACTION_WEIGHTS, x);
      for (const [i, j, a] of INTERACTION_PAIRS) y += a * x[i]! * x[j]!;
      return y + INTERACTION_TRIPLE * x[7]! * x[8]! * x[9]!;
    }
    case 'shap-threshold': {
      let y = 0;
      for (let j = 0; j < THRESHOLD_CUTS.length; j++)
        if (x[j]! > THRESHOLD_CUTS[j]!) y += THRESHOLD_VALUES[j]!;
      return y + (x[0]! + x[1]! > 0 ? THRESHOLD_JOINT : 0);
    }
  }
}

/** The model over `count` flattened rows, one output each. */
export function fidelityModel(name: FidelityModelName): (rows: Float64Array, count: number) => Float64Array {
  return (rows, count) => {
    const out = new Float64Array(count);
    for (let r = 0; r < count; r++) {
      out[r] = fidelityModelRow(name, rows.subarray(r * FIDELITY_FEATURES, (r + 1) * FIDELITY_FEATURES));
    }
    return out;
  };
}

/** A seeded instance and a background of `count` rows, standard normal, weights 1. */
export function fidelityData(
  seed: number,
  count: number,
): { instance: Float64Array; background: WeightedRows } {
  const random = seededRandom(seed);
  const instance = Float64Array.from({ length: FIDELITY_FEATURES }, () => random.nextNormal());
  const rows = Float64Array.from({ length: count * FIDELITY_FEATURES }, () => random.nextNormal());
  return {
    instance,
    background: { featureCount: FIDELITY_FEATURES, rows, weights: new Float64Array(count).fill(1), count },
  };
}

function dot(w: readonly number[], x: ArrayLike<number>): number {
  let sum = 0;
  for (let j = 0; j < w.length; j++) sum += w[j]! * x[j]!;
  return sum;
}
