/**
 * Issue 13's Kernel SHAP fidelity through the service: the explainer with its built-in
 * methods, Explain over real gRPC, the shap-* ONNX models served by a real model-server.
 * The reference is exact interventional Shapley by enumeration (src/methods/kernel-shap/
 * exact-shapley.ts) scored by the same model-server, on the same float32 rows the explainer
 * sees. Also checks that each coalition batch is one V2 call, and the cache.
 */
import { explainerV1 } from '@sightline/contracts';
import type { ModelServerHandle } from '@sightline/model-server';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_ROWS_PER_CALL } from '../src/config.js';
import type { ExplainerHandle } from '../src/explainer.js';
import { coalitionsPerBatch } from '../src/methods/kernel-shap/coalition-values.js';
import { exactInterventionalShapley } from '../src/methods/kernel-shap/exact-shapley.js';
import { FIDELITY_FEATURES, FIDELITY_MODELS, fidelityData } from '../src/methods/testing/fidelity-models.js';
import { functionEvaluator } from '../src/methods/testing/function-evaluator.js';
import { inferRows, startBuiltInExplainer } from './helpers/built-in-stack.js';
import { explainerClient, startTestModelServer } from './helpers/explainer-stack.js';

const M = FIDELITY_FEATURES;
const BACKGROUND_ROWS = 40;
/** The explainer's rows per ModelInfer in these tests (its default, --default-max-rows-per-call). */
// The service's default rows per call (shap-linear's max_batch_size is 4,096 too; 10 features stay far below --max-call-bytes).
const ROWS_PER_CALL = DEFAULT_MAX_ROWS_PER_CALL;

/** Rows as the explainer sees them once sent as FP32. */
const asFloat32 = (values: Float64Array) => Float64Array.from(Float32Array.from(values));

function rowsTensor(rows: Float64Array, count: number) {
  return encodeTensorMessages([createTensor('input', 'FP32', [count, M], Float32Array.from(rows))], 'raw');
}

describe('Kernel SHAP served: Explain over gRPC on the shap-* ONNX models', () => {
  let modelServer: ModelServerHandle;
  let explainer: ExplainerHandle;
  let client: ReturnType<typeof explainerClient>;
  const { instance: rawInstance, background: rawBackground } = fidelityData(1, BACKGROUND_ROWS);
  const instance = asFloat32(rawInstance);
  const backgroundRows = asFloat32(rawBackground.rows);

  const explain = (
    model: string,
    kernelShap: explainerV1.DeepPartial<explainerV1.KernelShapParams>,
    seed = 0n,
  ) =>
    client.explain({
      target: { modelName: model },
      instances: rowsTensor(instance, 1),
      background: {
        rows: { tensors: rowsTensor(backgroundRows, BACKGROUND_ROWS) },
        reduction: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_NONE,
      },
      kernelShap,
      seed,
    });

  /** Exact Shapley values of `model` as the model-server scores it. */
  async function exactValues(model: string): Promise<Float64Array> {
    const evaluator = functionEvaluator(
      (rows, count) => inferRows(modelServer.grpcAddress, model, { name: 'input', shape: [M] }, rows, count),
      { featureCount: M, outputCount: 1, rowsPerCall: 4096 },
    );
    const [exact] = await exactInterventionalShapley(evaluator, instance, {
      featureCount: M,
      rows: backgroundRows,
      weights: new Float64Array(BACKGROUND_ROWS).fill(1),
      count: BACKGROUND_ROWS,
    });
    return exact!.values;
  }

  beforeAll(async () => {
    modelServer = await startTestModelServer();
    explainer = await startBuiltInExplainer(modelServer.grpcAddress);
    client = explainerClient(explainer.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    await modelServer?.shutdown('test over');
  });

  for (const model of FIDELITY_MODELS) {
    it(`${model}: every coalition enumerated equals exact Shapley to 1e-6; 2,048 sampled within 1e-2`, async () => {
      const exact = await exactValues(model);
      const enumerated = await explain(model, { nSamples: 2 ** M - 2 });
      const [output] = enumerated.explanations[0]!.attributions!.outputs;
      expect(output).toMatchObject({ targetIndex: 0, exact: true, coalitions: 2 ** M - 2 });
      expect(enumerated.meta?.name).toBe('KernelShap');
      for (let j = 0; j < M; j++) {
        expect(output!.features[j]!.featureValue).toBe(instance[j]);
        expect(Math.abs(output!.features[j]!.value - exact[j]!)).toBeLessThanOrEqual(1e-6);
      }
      expect(Math.abs(output!.additivityError!)).toBeLessThan(1e-9);

      const sampled = await explain(model, { nSamples: 2048, enumerateSizes: false }, 7n);
      const [estimate] = sampled.explanations[0]!.attributions!.outputs;
      expect(estimate!.exact).toBe(false);
      for (let j = 0; j < M; j++) {
        expect(Math.abs(estimate!.features[j]!.value - exact[j]!)).toBeLessThanOrEqual(1e-2);
      }
    });
  }

  it('makes one ModelInfer call per coalition batch, never one per sample', async () => {
    const response = await explain('shap-linear', { nSamples: 2 ** M - 2 }, 1n);
    const coalitions = response.explanations[0]!.attributions!.outputs[0]!.coalitions;
    // Batches hold whole coalitions within one call's rows, less the first batch's instance and background rows.
    const perBatch = coalitionsPerBatch(BACKGROUND_ROWS, M, ROWS_PER_CALL - BACKGROUND_ROWS - 1);
    expect(response.usage).toMatchObject({
      complete: true,
      cacheHit: false,
      modelCalls: Math.ceil(coalitions / perBatch),
      rowsEvaluated: BigInt(1 + BACKGROUND_ROWS + coalitions * BACKGROUND_ROWS),
    });
  });

  it('answers the second identical Explain from the cache', async () => {
    const first = await explain('shap-interaction', { nSamples: 512 }, 3n);
    const second = await explain('shap-interaction', { nSamples: 512 }, 3n);
    expect(first.usage?.cacheHit).toBe(false);
    expect(second.usage).toMatchObject({ cacheHit: true, modelCalls: 0 });
    expect(second.explanations).toEqual(first.explanations);
  });

  it('maps target_indices back to the model column (iris class 2 only)', async () => {
    const iris = (rows: number[][]) =>
      encodeTensorMessages(
        [createTensor('input', 'FP32', [rows.length, 4], Float32Array.from(rows.flat()))],
        'raw',
      );
    const response = await client.explain({
      target: { modelName: 'iris', targetIndices: [2] },
      instances: iris([[6.9, 3.1, 5.4, 2.1]]),
      background: {
        rows: {
          tensors: iris([
            [5.1, 3.5, 1.4, 0.2],
            [7.0, 3.2, 4.7, 1.4],
            [6.3, 3.3, 6.0, 2.5],
          ]),
        },
        reduction: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_NONE,
      },
      kernelShap: {},
    });
    const outputs = response.explanations[0]!.attributions!.outputs;
    expect(outputs.map((o) => o.targetIndex)).toEqual([2]);
    const [scores] = [
      await inferRows(
        modelServer.grpcAddress,
        'iris',
        { name: 'input', shape: [4] },
        [6.9, 3.1, 5.4, 2.1],
        1,
      ),
    ];
    expect(outputs[0]!.prediction).toBeCloseTo(scores[2]!, 6);
  });
});
