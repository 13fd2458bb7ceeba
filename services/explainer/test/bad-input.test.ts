/**
 * Issue 13's bad-input list over real gRPC, and the contract's rules: each mistake gets its
 * status and one sentence naming the field and the rule; a model-server that goes away
 * mid-explanation is UNAVAILABLE and the explainer keeps serving.
 */
import { type ServiceError, status } from '@grpc/grpc-js';
import { explainerV1 } from '@sightline/contracts';
import type { ModelServerHandle } from '@sightline/model-server';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainerHandle } from '../src/explainer.js';
import {
  explainerClient,
  hooks,
  IRIS_BACKGROUND,
  irisInstances,
  startTestExplainer,
  startTestModelServer,
} from './helpers/explainer-stack.js';

type Request = explainerV1.DeepPartial<explainerV1.ExplainRequest>;

const ROW = [[5.0, 3.4, 1.5, 0.2]];
const background = { rows: { tensors: irisInstances(IRIS_BACKGROUND) } };
const valid: Request = {
  target: { modelName: 'iris' },
  instances: irisInstances(ROW),
  background,
  kernelShap: { nSamples: 1 },
};

describe('bad input', () => {
  let modelServer: ModelServerHandle;
  let explainer: ExplainerHandle;
  let client: ReturnType<typeof explainerClient>;

  beforeAll(async () => {
    modelServer = await startTestModelServer();
    // A wide answer margin: the test's deadlines are short, and the partial answer must
    // reach the client before its own deadline timer fires on a loaded machine.
    explainer = await startTestExplainer(modelServer.grpcAddress, {
      maxInstances: '3',
      deadlineMarginMs: '500',
      allowedTargets: '127.0.0.1:9',
    });
    client = explainerClient(explainer.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    await modelServer?.shutdown('test over');
  });
  afterEach(() => {
    hooks.beforeRound = undefined;
  });

  const cases: [string, Request, status, string | RegExp][] = [
    [
      'unknown model',
      { ...valid, target: { modelName: 'nope' } },
      status.NOT_FOUND,
      'model "nope" not found',
    ],
    [
      'gradient method on an ONNX model',
      { ...valid, kernelShap: undefined, integratedGradients: {} },
      status.FAILED_PRECONDITION,
      'method integrated_gradients: model "iris" (onnx) has no gradients; use kernel_shap or occlusion',
    ],
    [
      'a target that cannot be reached',
      {
        ...valid,
        target: { modelName: 'g', kind: explainerV1.TargetKind.TARGET_KIND_GRAPH, address: '127.0.0.1:9' },
      },
      status.UNAVAILABLE,
      'target 127.0.0.1:9: unavailable',
    ],
    [
      'per-row shape other than the metadata',
      {
        ...valid,
        instances: encodeTensorMessages([createTensor('input', 'FP32', [1, 5], new Float32Array(5))], 'raw'),
      },
      status.INVALID_ARGUMENT,
      'instances "input": expected per-row shape [4], got [5] (rule "instances.metadata")',
    ],
    [
      'datatype other than the metadata',
      {
        ...valid,
        instances: encodeTensorMessages([createTensor('input', 'FP64', [1, 4], new Float64Array(4))], 'raw'),
      },
      status.INVALID_ARGUMENT,
      'instances "input": expected datatype FP32, got FP64 (rule "instances.metadata")',
    ],
    [
      'tensor the model does not take',
      { ...valid, instances: irisInstances(ROW, 'x') },
      status.INVALID_ARGUMENT,
      /model "iris" needs input "input", which is missing \(rule "instances.metadata"\)/,
    ],
    [
      'background unlike the instances',
      {
        ...valid,
        background: {
          rows: {
            tensors: encodeTensorMessages(
              [createTensor('input', 'FP32', [2, 2, 2], new Float32Array(8))],
              'raw',
            ),
          },
        },
      },
      status.INVALID_ARGUMENT,
      /background.rows "input": expected per-row shape \[4\] as in the instances, got \[2,2\]/,
    ],
    ['no method', { ...valid, kernelShap: undefined }, status.INVALID_ARGUMENT, /\(rule "method.set"\)/],
    [
      'a contract method not built here',
      { ...valid, kernelShap: undefined, anchors: {} },
      status.UNIMPLEMENTED,
      'method anchors: not available in this explainer',
    ],
    [
      'no target',
      { ...valid, target: undefined },
      status.INVALID_ARGUMENT,
      'target: required (rule "target.set")',
    ],
    [
      'no model name',
      { ...valid, target: {} },
      status.INVALID_ARGUMENT,
      'target.model_name: required (rule "target.model_name_set")',
    ],
    [
      'address outside --allowed-targets',
      { ...valid, target: { modelName: 'iris', address: '10.0.0.1:8001' } },
      status.INVALID_ARGUMENT,
      'target.address: "10.0.0.1:8001" is not among --allowed-targets (rule "target.address_allowed")',
    ],
    [
      'unknown target kind',
      { ...valid, target: { modelName: 'iris', kind: 7 as explainerV1.TargetKind } },
      status.INVALID_ARGUMENT,
      'target.kind: unknown value 7',
    ],
    [
      'target index past the columns',
      { ...valid, target: { modelName: 'iris', targetIndices: [3] } },
      status.INVALID_ARGUMENT,
      'target.target_indices[0]: must be below the output\'s 3 columns, got 3 (rule "target.target_indices")',
    ],
    [
      'unknown output',
      { ...valid, target: { modelName: 'iris', outputName: 'logits' } },
      status.INVALID_ARGUMENT,
      /target.output_name: model "iris" has no output "logits"/,
    ],
    [
      'no background where required',
      { ...valid, background: undefined },
      status.INVALID_ARGUMENT,
      'background: required by kernel_shap (rule "background.set")',
    ],
    [
      'background with no source',
      { ...valid, background: { size: 3 } },
      status.INVALID_ARGUMENT,
      /rule "background.source_set"/,
    ],
    [
      'background size 0',
      { ...valid, background: { ...background, size: 0 } },
      status.INVALID_ARGUMENT,
      'background.size: must be between 1 and 10000, got 0',
    ],
    [
      'no rows',
      {
        ...valid,
        instances: encodeTensorMessages([createTensor('input', 'FP32', [0, 4], new Float32Array(0))], 'raw'),
      },
      status.INVALID_ARGUMENT,
      /rule "instances.rows_min"/,
    ],
    [
      'more rows than --max-instances',
      { ...valid, instances: irisInstances([...ROW, ...ROW, ...ROW, ...ROW]) },
      status.RESOURCE_EXHAUSTED,
      /4 rows is above --max-instances 3/,
    ],
    [
      'feature names of another count',
      { ...valid, featureNames: ['a', 'b'] },
      status.INVALID_ARGUMENT,
      'feature_names: expected 4 names (one per feature), got 2 (rule "feature_names.count")',
    ],
    [
      'categorical index past the features',
      { ...valid, categoricalFeatures: { 4: { names: ['a', 'b'] } } },
      status.INVALID_ARGUMENT,
      'categorical_features[4]: must be below the feature count 4 (rule "categorical_features.index")',
    ],
    [
      'store without an --events-sink',
      { ...valid, event: { store: true, requestId: 'r' } },
      status.FAILED_PRECONDITION,
      'event.store: this explainer has no --events-sink to store explanations in',
    ],
    [
      'too many calls asked',
      { ...valid, budget: { maxModelCalls: 1_000_001 } },
      status.INVALID_ARGUMENT,
      /rule "budget.max_model_calls"/,
    ],
    [
      'a timeout over 24 h',
      { ...valid, budget: { timeoutMs: 86_400_001 } },
      status.INVALID_ARGUMENT,
      /rule "budget.timeout_ms"/,
    ],
    [
      'calls spent with on_exhausted FAIL',
      {
        ...valid,
        kernelShap: { nSamples: 5 },
        budget: { maxModelCalls: 2, onExhausted: explainerV1.OnExhausted.ON_EXHAUSTED_FAIL },
      },
      status.RESOURCE_EXHAUSTED,
      'budget.max_model_calls: 2 calls spent: 0 of 1 instances explained (40% of the work), 2 model calls',
    ],
  ];

  it.each(cases)('%s', async (_, request, code, message) => {
    const error = (await client.explain(request).then(
      () => undefined,
      (e: ServiceError) => e,
    )) as ServiceError | undefined;
    expect(error, 'the call should fail').toBeDefined();
    expect({ code: error!.code, details: error!.details }).toMatchObject({
      code,
      details:
        typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
    });
  });

  it('fails a budget that cannot finish before the deadline DEADLINE_EXCEEDED, stating the progress', async () => {
    const error = (await client
      .explain(
        {
          ...valid,
          kernelShap: { nSamples: 1_000_000 },
          budget: { timeoutMs: 60_000, maxModelCalls: 1_000_000 },
        },
        { deadlineMs: 2_000 },
      )
      .then(
        () => undefined,
        (e: ServiceError) => e,
      )) as ServiceError | undefined;
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error?.details).toMatch(
      /^budget.deadline: timeout_ms 60000 ends after the call's deadline; stopped at the deadline: 0 of 1 instances explained \(\d+% of the work\), [1-9]\d* model calls, \d+ ms/,
    );
  });

  it("answers the partial result at the call's deadline when no timeout_ms was asked", async () => {
    const response = await client.explain(
      { ...valid, kernelShap: { nSamples: 1_000_000 }, budget: { maxModelCalls: 1_000_000 } },
      { deadlineMs: 2_000 },
    );
    expect(response.usage).toMatchObject({
      complete: false,
      incompleteReason: "budget.timeout_ms: the call's deadline (less the answer margin) reached",
    });
    expect(response.usage!.modelCalls).toBeGreaterThan(0);
    expect(response.explanations[0]!.complete).toBe(false);
  });

  it('is UNAVAILABLE when the model-server goes away mid-explanation, and keeps serving', async () => {
    const doomed = await startTestModelServer();
    const address = doomed.grpcAddress;
    const local = await startTestExplainer(address, { deadlineMarginMs: '500' });
    const localClient = explainerClient(local.grpcAddress);
    try {
      hooks.beforeRound = async (round) => {
        if (round === 2) await doomed.shutdown('gone mid-explanation');
      };
      const error = (await localClient.explain({ ...valid, kernelShap: { nSamples: 5 } }).then(
        () => undefined,
        (e: ServiceError) => e,
      )) as ServiceError | undefined;
      expect(error?.code).toBe(status.UNAVAILABLE);
      expect(error?.details).toContain(`target ${address}: unavailable`);
      hooks.beforeRound = undefined;
      // The explainer is still up: a target that is there answers.
      const response = await localClient.explain({
        ...valid,
        target: { modelName: 'iris', address: modelServer.grpcAddress },
      });
      expect(response.usage?.complete).toBe(true);
    } finally {
      localClient.close();
      await local.shutdown('test over');
      await doomed.shutdown('test over');
    }
  });
});
