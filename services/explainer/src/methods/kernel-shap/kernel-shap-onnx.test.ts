/**
 * Issue 13's Kernel SHAP fidelity on real models: examples/models/shap-linear,
 * shap-interaction and shap-threshold run in-process by onnxruntime-node (the model-server's
 * runtime), behind the same RowEvaluator as the plain-function tests. The reference values
 * are computed through the same ONNX sessions, so both sides see the model's float32 outputs.
 */
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FIDELITY_FEATURES,
  FIDELITY_MODELS,
  type FidelityModelName,
  fidelityData,
  fidelityModel,
  LINEAR_WEIGHTS,
} from '../testing/fidelity-models.js';
import { functionEvaluator, type RowFunction } from '../testing/function-evaluator.js';
import { exactInterventionalShapley } from './exact-shapley.js';
import { kernelShap } from './kernel-shap.js';
import { shapDefaults, testContext } from './test-context.js';

const M = FIDELITY_FEATURES;
const EXAMPLES = fileURLToPath(new URL('../../../../../examples/models/', import.meta.url));
/** float32 outputs of models whose float64 values are O(1). */
const FLOAT32_TOLERANCE = 1e-5;

const sessions = new Map<FidelityModelName, ort.InferenceSession>();

beforeAll(async () => {
  for (const name of FIDELITY_MODELS) {
    sessions.set(name, await ort.InferenceSession.create(`${EXAMPLES}${name}/1/model.onnx`));
  }
});
afterAll(async () => {
  for (const session of sessions.values()) await session.release();
});

/** One session.run per model call, float64 rows in and out as the service's V2 evaluator converts. */
function onnxRows(name: FidelityModelName): RowFunction {
  return async (rows, count) => {
    const input = new ort.Tensor('float32', Float32Array.from(rows), [count, M]);
    const { output } = await sessions.get(name)!.run({ input });
    return Float64Array.from(output!.data as Float32Array);
  };
}

describe('Kernel SHAP fidelity on the ONNX models (onnxruntime-node in-process)', () => {
  for (const name of FIDELITY_MODELS) {
    it(`${name}: the ONNX file computes the plain function`, async () => {
      const { background } = fidelityData(5, 200);
      const onnx = await onnxRows(name)(background.rows, 200);
      const plain = fidelityModel(name)(Float64Array.from(Float32Array.from(background.rows)), 200);
      for (let r = 0; r < 200; r++) expect(Math.abs(onnx[r]! - plain[r]!)).toBeLessThan(FLOAT32_TOLERANCE);
    });

    it(`${name}: enumerated equals exact to 1e-6; 2,048 sampled coalitions within 1e-2`, async () => {
      const { instance, background } = fidelityData(1, 40);
      const evaluator = functionEvaluator(onnxRows(name), { featureCount: M, outputCount: 1 });
      const [exact] = await exactInterventionalShapley(evaluator, instance, background);
      const enumerated = await kernelShap.explainRow(
        instance,
        shapDefaults(M, { nSamples: 2 ** M - 2 }),
        testContext(evaluator, background, 1),
      );
      expect(enumerated.result.outputs[0]!.exact).toBe(true);
      for (let j = 0; j < M; j++) {
        expect(Math.abs(enumerated.result.outputs[0]!.values[j]! - exact!.values[j]!)).toBeLessThanOrEqual(
          1e-6,
        );
      }
      for (const seed of [1, 2]) {
        const sampled = await kernelShap.explainRow(
          instance,
          shapDefaults(M, { nSamples: 2048, enumerateSizes: false }),
          testContext(evaluator, background, seed),
        );
        const [out] = sampled.result.outputs;
        expect(out!.exact).toBe(false);
        for (let j = 0; j < M; j++)
          expect(Math.abs(out!.values[j]! - exact!.values[j]!)).toBeLessThanOrEqual(1e-2);
      }
      if (name === 'shap-linear') {
        for (let j = 0; j < M; j++) {
          let mean = 0;
          for (let b = 0; b < 40; b++) mean += background.rows[b * M + j]! / 40;
          // Analytically w_i (x_i − E[x_i]), up to the model's float32 arithmetic.
          expect(
            Math.abs(enumerated.result.outputs[0]!.values[j]! - LINEAR_WEIGHTS[j]! * (instance[j]! - mean)),
          ).toBeLessThan(FLOAT32_TOLERANCE);
        }
      }
    });
  }
});
