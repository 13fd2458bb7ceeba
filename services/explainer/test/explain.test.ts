/**
 * Explain end to end over real gRPC: an explainer and a real model-server (examples/models)
 * in this process, the pipeline driven by the test registry's ablation method (real
 * methods are registered the same way). Checks the answer against ModelInfer called
 * directly, the batching, the cache, and the metrics.
 */
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { explainerV1, inference } from '@sightline/contracts';
import type { ModelServerHandle } from '@sightline/model-server';
import { createTensor, decodeInferOutputs, encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainerHandle } from '../src/explainer.js';
import {
  explainerClient,
  IRIS_BACKGROUND,
  irisInstances,
  startTestExplainer,
  startTestModelServer,
} from './helpers/explainer-stack.js';

const ROWS = [
  [5.0, 3.4, 1.5, 0.2],
  [6.7, 3.1, 4.4, 1.4],
  [6.9, 3.1, 5.4, 2.1],
];

/** The iris model's probabilities for `rows`, by ModelInfer straight to the model-server. */
function inferDirect(address: string, rows: readonly (readonly number[])[]): Promise<Float64Array> {
  const client = new inference.GRPCInferenceServiceClient(address, credentials.createInsecure());
  const encoded = encodeInferInputs(
    [createTensor('input', 'FP32', [rows.length, 4], Float32Array.from(rows.flat()))],
    'raw',
  );
  return new Promise((resolve, reject) => {
    client.modelInfer(
      { modelName: 'iris', modelVersion: '', id: '', parameters: {}, outputs: [], ...encoded },
      (error: ServiceError | null, response: inference.ModelInferResponse) => {
        client.close();
        if (error) return reject(error);
        resolve(Float64Array.from(decodeInferOutputs(response)[0]!.data as Float32Array));
      },
    );
  });
}

describe('Explain over a real model-server', () => {
  let modelServer: ModelServerHandle;
  let explainer: ExplainerHandle;
  let client: ReturnType<typeof explainerClient>;
  const request = (extra: explainerV1.DeepPartial<explainerV1.ExplainRequest> = {}) => ({
    target: { modelName: 'iris' },
    instances: irisInstances(ROWS),
    background: {
      rows: { tensors: irisInstances(IRIS_BACKGROUND) },
      reduction: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_NONE,
    },
    kernelShap: { nSamples: 1 },
    ...extra,
  });

  beforeAll(async () => {
    modelServer = await startTestModelServer();
    explainer = await startTestExplainer(modelServer.grpcAddress);
    client = explainerClient(explainer.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    await modelServer?.shutdown('test over');
  });

  it('answers each row from batched ModelInfer calls, as the model scores the ablated rows', async () => {
    const response = await client.explain(request());
    expect(response.meta).toMatchObject({
      name: 'Ablation',
      scope: ['local'],
      modelAccess: 'black-box',
      target: {
        kind: explainerV1.TargetKind.TARGET_KIND_MODEL,
        address: modelServer.grpcAddress,
        modelName: 'iris',
        modelVersion: '1',
        outputName: 'probabilities',
      },
      seed: 0n,
      featureNames: ['input[0]', 'input[1]', 'input[2]', 'input[3]'],
      backgroundRows: IRIS_BACKGROUND.length,
      kernelShap: { nSamples: 1 },
    });
    // One call per row: its 5 ablated rows fit in one batch.
    expect(response.usage).toMatchObject({
      modelCalls: 3,
      rowsEvaluated: 15n,
      complete: true,
      cacheHit: false,
    });
    expect(response.usage?.inputHash).toMatch(/^[0-9a-f]{64}$/);

    const mean = [0, 1, 2, 3].map(
      (j) => IRIS_BACKGROUND.reduce((s, r) => s + r[j]!, 0) / IRIS_BACKGROUND.length,
    );
    for (const [r, row] of ROWS.entries()) {
      const ablated = [row, ...row.map((_, i) => row.map((v, j) => (j === i ? mean[j]! : v)))];
      const scores = await inferDirect(modelServer.grpcAddress, ablated);
      const explanation = response.explanations[r]!;
      expect(explanation).toMatchObject({ row: r, complete: true, fractionDone: 1 });
      const outputs = explanation.attributions!.outputs;
      expect(outputs).toHaveLength(3);
      for (const [o, output] of outputs.entries()) {
        expect(output.prediction).toBeCloseTo(scores[o]!, 6);
        for (let i = 0; i < 4; i++)
          expect(output.features[i]!.value).toBeCloseTo(scores[o]! - scores[(i + 1) * 3 + o]!, 6);
      }
    }
  });

  it('splits rows into calls of at most budget.max_rows_per_call', async () => {
    const response = await client.explain(
      request({ budget: { maxRowsPerCall: 2 }, cache: explainerV1.CachePolicy.CACHE_POLICY_BYPASS }),
    );
    // 5 rows per instance row in calls of 2: 3 calls each.
    expect(response.usage).toMatchObject({ modelCalls: 9, rowsEvaluated: 15n, complete: true });
  });

  it("caps the rows per call at the model's max_batch_size (iris: 64), from its ModelConfig", async () => {
    const response = await client.explain({
      target: { modelName: 'iris' },
      instances: irisInstances(ROWS.slice(0, 1)),
      counterfactual: { count: 150 },
    });
    // 150 rows with the default 1,000 rows per call: 64 + 64 + 22.
    expect(response.usage).toMatchObject({ modelCalls: 3, rowsEvaluated: 150n, complete: true });
  });

  it('explains only the target_indices columns', async () => {
    const response = await client.explain(request({ target: { modelName: 'iris', targetIndices: [2] } }));
    expect(response.explanations[0]!.attributions!.outputs).toHaveLength(1);
  });

  it('answers a repeated request from the cache, unless told to bypass or refresh it', async () => {
    const seeded = request({ seed: 42n });
    const first = await client.explain(seeded);
    expect(first.usage?.cacheHit).toBe(false);
    const again = await client.explain(seeded);
    expect(again.usage).toMatchObject({ cacheHit: true, modelCalls: 0, inputHash: first.usage!.inputHash });
    expect(again.explanations).toEqual(first.explanations);
    expect(again.meta).toEqual(first.meta);
    const bypass = await client.explain({ ...seeded, cache: explainerV1.CachePolicy.CACHE_POLICY_BYPASS });
    expect(bypass.usage).toMatchObject({ cacheHit: false, modelCalls: 3 });
    const refresh = await client.explain({ ...seeded, cache: explainerV1.CachePolicy.CACHE_POLICY_REFRESH });
    expect(refresh.usage?.cacheHit).toBe(false);
    const otherSeed = await client.explain(request({ seed: 43n }));
    expect(otherSeed.usage?.cacheHit).toBe(false);
    const otherRows = await client.explain(request({ seed: 42n, instances: irisInstances(ROWS.slice(1)) }));
    expect(otherRows.usage?.cacheHit).toBe(false);
    expect(otherRows.usage?.inputHash).not.toBe(first.usage!.inputHash);
  });

  it('returns the partial result when the call budget runs out, its reason and fraction stated', async () => {
    const response = await client.explain(
      request({
        instances: irisInstances(ROWS.slice(0, 1)),
        kernelShap: { nSamples: 10 },
        budget: { maxModelCalls: 3 },
      }),
    );
    expect(response.usage).toMatchObject({
      modelCalls: 3,
      complete: false,
      incompleteReason: 'budget.max_model_calls: 3 calls spent',
    });
    expect(response.explanations[0]).toMatchObject({ complete: false, fractionDone: 0.3 });
    expect(response.explanations[0]!.attributions!.outputs).toHaveLength(3);
  });

  it('counts explanations and model calls in /metrics', async () => {
    const text = await (await fetch(`http://127.0.0.1:${explainer.httpPort}/metrics`)).text();
    expect(text).toMatch(
      /sightline_explainer_explanations_total\{method="kernel_shap",outcome="complete"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(
      /sightline_explainer_explanations_total\{method="kernel_shap",outcome="cache_hit"[^}]*\} [1-9]/,
    );
    expect(text).toMatch(/sightline_explainer_model_calls_total\{outcome="ok"[^}]*\} [1-9]/);
    expect(text).toMatch(/sightline_explainer_cached_explanations(\{[^}]*\})? [1-9]/);
  });

  it('passes the caller trace context on (the call still answers with it)', async () => {
    const metadata = new Metadata();
    metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const response = await client.explain(request({ cache: explainerV1.CachePolicy.CACHE_POLICY_BYPASS }), {
      metadata,
    });
    expect(response.usage?.complete).toBe(true);
  });
});
