/**
 * The SDK's sightline.explainer over real gRPC against a real explainer and a real model-server
 * (examples/models), both in this process. The explainer's methods merge from their own
 * branches, so this test registers a small black-box method of its own (mean replacement:
 * each feature's drop in score when it takes the background's mean) and a white-box stand-in.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  defineMethod,
  type ExplainerHandle,
  explainerConfigSchema,
  startExplainer,
} from '@sightline/explainer';
import { type ModelServerHandle, modelServerConfigSchema, startModelServer } from '@sightline/model-server';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, Sightline } from '@sightline/sdk';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { createTensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPOSITORY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/models');

interface Drops {
  readonly prediction: Float64Array;
  readonly drops: Float64Array;
}

const meanReplacement = defineMethod<object, Drops>({
  field: 'kernel_shap',
  method: {
    metaName: 'MeanReplacement',
    modelAccess: 'black-box',
    async explainRow(instance, _params, { evaluator, background }) {
      const m = evaluator.featureCount;
      const k = evaluator.outputCount;
      const mean = new Float64Array(m);
      for (let r = 0; r < background!.count; r++)
        for (let j = 0; j < m; j++) mean[j]! += background!.rows[r * m + j]! / background!.count;
      const rows = new Float64Array((m + 1) * m);
      for (let i = 0; i <= m; i++) {
        rows.set(instance, i * m);
        if (i > 0) rows[i * m + i - 1] = mean[i - 1]!;
      }
      const scores = await evaluator.evaluate(rows);
      const drops = new Float64Array(m * k);
      for (let i = 0; i < m; i++)
        for (let o = 0; o < k; o++) drops[i * k + o] = scores[o]! - scores[(i + 1) * k + o]!;
      return { result: { prediction: scores.slice(0, k), drops }, complete: true, fractionDone: 1 };
    },
  },
  needsBackground: () => true,
  needsGradients: () => false,
  image: false,
  allOutputs: false,
  readParams: () => ({}),
  paramsMessage: () => ({}),
  resultMessage: (result, setup) => ({
    attributions: {
      outputs: Array.from({ length: setup.outputCount }, (_, o) => ({
        targetIndex: o,
        prediction: result.prediction[o]!,
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

const whiteBox = defineMethod<object, object>({
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

const iris = (rows: readonly (readonly number[])[]) =>
  createTensor('input', 'FP32', [rows.length, 4], Float32Array.from(rows.flat()));
const BACKGROUND = iris([
  [5.1, 3.5, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.3, 3.3, 6.0, 2.5],
]);
const INPUT = {
  model: 'iris',
  instances: [iris([[5.0, 3.4, 1.5, 0.2]])],
  background: { rows: [BACKGROUND], reduction: 'none' as const },
  method: { kernelShap: {} },
  featureNames: ['sepal length', 'sepal width', 'petal length', 'petal width'],
};

let modelServer: ModelServerHandle;
let explainer: ExplainerHandle;
let sightline: Sightline;

beforeAll(async () => {
  modelServer = await startModelServer(
    loadConfig(modelServerConfigSchema, {
      flags: { host: '127.0.0.1', grpcPort: '0', httpPort: '0', repository: REPOSITORY, logLevel: 'silent' },
    }),
    { logger: silentLogger() },
  );
  explainer = await startExplainer(
    loadConfig(explainerConfigSchema, {
      flags: {
        host: '127.0.0.1',
        grpcPort: '0',
        httpPort: '0',
        modelServer: modelServer.grpcAddress,
        logLevel: 'silent',
      },
    }),
    {
      logger: silentLogger(),
      methods: new Map([
        ['kernelShap', meanReplacement],
        ['integratedGradients', whiteBox],
      ]),
    },
  );
  sightline = new Sightline({
    addresses: { explainer: explainer.grpcAddress },
    retry: { initialBackoffMs: 1, maxBackoffMs: 5 },
  });
});

afterAll(async () => {
  sightline?.close();
  await explainer?.shutdown('test over');
  await modelServer?.shutdown('test over');
});

describe('sightline.explainer', () => {
  it('explains rows in plain types: attributions per output and feature, meta and usage', async () => {
    const explanation = await sightline.explainer.explain(INPUT);
    expect(explanation.meta).toMatchObject({
      name: 'MeanReplacement',
      modelName: 'iris',
      modelVersion: '1',
      seed: 0,
      featureNames: INPUT.featureNames,
      backgroundRows: 3,
    });
    expect(explanation.usage).toMatchObject({
      modelCalls: 1,
      rowsEvaluated: 5,
      complete: true,
      cacheHit: false,
    });
    const outputs = explanation.rows[0]!.attributions!;
    expect(outputs.map((o) => o.targetIndex)).toEqual([0, 1, 2]);
    expect(outputs[0]!.features.map((f) => f.name)).toEqual(INPUT.featureNames);
    // Probabilities sum to 1, so each feature's drops over the three classes sum to 0.
    for (let i = 0; i < 4; i++)
      expect(outputs.reduce((s, o) => s + o.features[i]!.value, 0)).toBeCloseTo(0, 5);
    const again = await sightline.explainer.explain(INPUT);
    expect(again.usage).toMatchObject({ cacheHit: true, modelCalls: 0 });
  });

  it('raises the error family: NOT_FOUND, FAILED_PRECONDITION, INVALID_ARGUMENT', async () => {
    await expect(sightline.explainer.explain({ ...INPUT, model: 'nope' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const gradients = sightline.explainer.explain({ ...INPUT, method: { integratedGradients: {} } });
    await expect(gradients).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(gradients).rejects.toThrow(/use kernel_shap or occlusion/);
    await expect(sightline.explainer.explain({ ...INPUT, featureNames: ['a'] })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });

  it('runs a job: start with a key, watch it to the end, get, list, and the same job for the same key', async () => {
    const job = await sightline.explainer.startExplanation(
      { ...INPUT, cache: 'bypass' },
      { idempotencyKey: 'sdk-1' },
    );
    expect(['queued', 'running', 'succeeded']).toContain(job.state);
    const seen = [];
    for await (const update of sightline.explainer.watchExplanation(job.id)) seen.push(update);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({
      id: job.id,
      state: 'succeeded',
      progress: { fraction: 1, done: 1, total: 1, unit: 'instances' },
    });
    expect(last.result?.rows[0]?.attributions).toHaveLength(3);
    expect((await sightline.explainer.getExplanation(job.id)).state).toBe('succeeded');
    const same = await sightline.explainer.startExplanation(
      { ...INPUT, cache: 'bypass' },
      { idempotencyKey: 'sdk-1' },
    );
    expect(same.id).toBe(job.id);
    const page = await sightline.explainer.listExplanations({ state: 'succeeded' });
    expect(page.jobs.map((j) => j.id)).toContain(job.id);
    expect(page.jobs.every((j) => j.result === undefined)).toBe(true);
    await expect(sightline.explainer.getExplanation('nope')).rejects.toBeInstanceOf(NotFoundError);
  });
});
