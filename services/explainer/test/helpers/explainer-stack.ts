/**
 * A real model-server (examples/models) and an explainer, both in this process on loopback
 * ephemeral ports, with a promise client of ExplainerService and a test registry: the
 * ablation method under the `kernelShap` key (its n_samples is the rounds) and a
 * white-box stand-in under `integratedGradients`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { explainerV1 } from '@sightline/contracts';
import { type ModelServerHandle, modelServerConfigSchema, startModelServer } from '@sightline/model-server';
import { loadConfig } from '@sightline/service-kit';
import {
  collectStream,
  silentLogger,
  TEST_CALL_DEADLINE_MS,
  unaryCaller,
} from '@sightline/service-kit/testing';
import { createTensor, encodeTensorMessages } from '@sightline/tensor';
import { explainerConfigSchema } from '../../src/config.js';
import { defineMethod, methodRegistry } from '../../src/contract/method-entries.js';
import type { MethodRegistry } from '../../src/data-plane/method-registry.js';
import { type ExplainerHandle, startExplainer } from '../../src/explainer.js';
import { type AblationParams, type AblationResult, ablation } from './ablation-method.js';

export const REPOSITORY = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../examples/models',
);

/** Hooks a test sets before a call: run before each ablation round. */
export const hooks: { beforeRound?: (round: number) => Promise<void> | void } = {};

/** Ablation's entry: rows' drops as attributions per output. */
const ablationEntry = defineMethod<AblationParams, AblationResult>({
  field: 'kernel_shap',
  method: ablation,
  needsBackground: () => true,
  needsGradients: () => false,
  image: false,
  allOutputs: false,
  defaultBackgroundSize: 100,
  readParams: (message) => ({
    rounds: (message as explainerV1.KernelShapParams | undefined)?.nSamples ?? 1,
    beforeRound: (round) => hooks.beforeRound?.(round),
  }),
  paramsMessage: (params) => ({ nSamples: params.rounds, l1Reg: 0, l1NumFeatures: 0, link: 0 }),
  resultMessage: (result, setup) => ({
    attributions: {
      outputs: Array.from({ length: setup.outputCount }, (_, o) => ({
        targetIndex: o,
        prediction: result.prediction[o] ?? 0,
        expectedValue: 0,
        coalitions: 0,
        exact: false,
        features: setup.space.featureNames.map((name, i) => ({
          index: i,
          name,
          value: result.drops[i * setup.outputCount + o]!,
          featureValue: 0,
        })),
      })),
    },
  }),
});

/** A white-box stand-in: never runs, the gradient check refuses ONNX first. */
const gradientEntry = defineMethod<object, object>({
  field: 'integrated_gradients',
  method: {
    metaName: 'IntegratedGradients',
    modelAccess: 'white-box',
    explainRow: async () => ({ result: {}, complete: true, fractionDone: 1 }),
  },
  needsBackground: () => false,
  needsGradients: () => true,
  image: false,
  allOutputs: false,
  readParams: () => ({}),
  paramsMessage: () => ({}),
  resultMessage: () => ({}),
});

/** Scores `count` copies of the instance in one evaluate() (counterfactual.count is the copies): for batching tests. */
const copiesEntry = defineMethod<{ copies: number }, { calls: number }>({
  field: 'counterfactual',
  method: {
    metaName: 'Copies',
    modelAccess: 'black-box',
    async explainRow(instance, params, { evaluator }) {
      const rows = new Float64Array(params.copies * instance.length);
      for (let i = 0; i < params.copies; i++) rows.set(instance, i * instance.length);
      await evaluator.evaluate(rows);
      return { result: { calls: 1 }, complete: true, fractionDone: 1 };
    },
  },
  needsBackground: () => false,
  needsGradients: () => false,
  image: false,
  allOutputs: true,
  readParams: (message) => ({
    copies: (message as explainerV1.CounterfactualParams | undefined)?.count ?? 1,
  }),
  paramsMessage: (params) => ({ count: params.copies }),
  resultMessage: () => ({ counterfactuals: { originalPrediction: 0, found: [] } }),
});

export const TEST_METHODS: MethodRegistry = methodRegistry({
  kernelShap: ablationEntry,
  integratedGradients: gradientEntry,
  counterfactual: copiesEntry,
});

/** A model-server on examples/models. */
export async function startTestModelServer(): Promise<ModelServerHandle> {
  const config = loadConfig(modelServerConfigSchema, {
    flags: { host: '127.0.0.1', grpcPort: '0', httpPort: '0', repository: REPOSITORY, logLevel: 'silent' },
  });
  return startModelServer(config, { logger: silentLogger() });
}

/** An explainer whose --model-server is `modelServer`. */
export async function startTestExplainer(
  modelServer: string,
  flags: Readonly<Record<string, string>> = {},
): Promise<ExplainerHandle> {
  const config = loadConfig(explainerConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: '0',
      httpPort: '0',
      modelServer,
      router: '127.0.0.1:1',
      repository: REPOSITORY,
      logLevel: 'silent',
      ...flags,
    },
  });
  return startExplainer(config, { logger: silentLogger(), methods: TEST_METHODS });
}

/** An ExplainerService client with a promise Explain that takes a deadline and metadata. */
export function explainerClient(address: string) {
  const raw = new explainerV1.ExplainerServiceClient(address, credentials.createInsecure());
  return {
    raw,
    explain(
      request: explainerV1.DeepPartial<explainerV1.ExplainRequest>,
      options: { deadlineMs?: number; metadata?: Metadata } = {},
    ): Promise<explainerV1.ExplainResponse> {
      return new Promise((resolve, reject) => {
        raw.explain(
          explainerV1.ExplainRequest.fromPartial(request),
          options.metadata ?? new Metadata(),
          { deadline: Date.now() + (options.deadlineMs ?? TEST_CALL_DEADLINE_MS) },
          (error: ServiceError | null, response: explainerV1.ExplainResponse) =>
            error ? reject(error) : resolve(response),
        );
      });
    },
    start: unary<explainerV1.StartExplanationRequest, explainerV1.StartExplanationResponse>(
      raw,
      'startExplanation',
      explainerV1.StartExplanationRequest,
    ),
    get: unary<explainerV1.GetExplanationRequest, explainerV1.GetExplanationResponse>(
      raw,
      'getExplanation',
      explainerV1.GetExplanationRequest,
    ),
    cancel: unary<explainerV1.CancelExplanationRequest, explainerV1.CancelExplanationResponse>(
      raw,
      'cancelExplanation',
      explainerV1.CancelExplanationRequest,
    ),
    list: unary<explainerV1.ListExplanationsRequest, explainerV1.ListExplanationsResponse>(
      raw,
      'listExplanations',
      explainerV1.ListExplanationsRequest,
    ),
    watch: (request: explainerV1.DeepPartial<explainerV1.WatchExplanationRequest>) =>
      collectStream<explainerV1.WatchExplanationResponse>(
        raw.watchExplanation(explainerV1.WatchExplanationRequest.fromPartial(request), new Metadata(), {
          deadline: Date.now() + TEST_CALL_DEADLINE_MS,
        }),
      ),
    close: () => raw.close(),
  };
}

function unary<Req, Res>(
  raw: explainerV1.ExplainerServiceClient,
  method: string,
  type: { fromPartial(o: unknown): Req },
) {
  const call = unaryCaller(raw);
  return call<Req, Res>(method, type) as (request: explainerV1.DeepPartial<Req>) => Promise<Res>;
}

/** Iris-like rows (4 features) as FP32 tensor messages named `input`. */
export function irisInstances(rows: readonly (readonly number[])[], name = 'input') {
  return encodeTensorMessages(
    [createTensor(name, 'FP32', [rows.length, 4], Float32Array.from(rows.flat()))],
    'raw',
  );
}

/** A fixed background of iris-like rows. */
export const IRIS_BACKGROUND = [
  [5.1, 3.5, 1.4, 0.2],
  [4.9, 3.0, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.4, 3.2, 4.5, 1.5],
  [6.3, 3.3, 6.0, 2.5],
  [5.8, 2.7, 5.1, 1.9],
] as const;
