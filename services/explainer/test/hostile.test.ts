/**
 * What a hostile first try of the explainer broke (docs/hostile-try-explainer.md), kept
 * broken-no-more over real gRPC: one model-server on a scratch copy of the iris model (so a
 * new version can be loaded mid-test), the explainer with its built-in methods, and a stub
 * V2 server whose ModelInfer answers a few calls and then never again (a hung model).
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  credentials,
  Server,
  ServerCredentials,
  type ServerUnaryCall,
  type ServiceError,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { explainerV1, inference } from '@sightline/contracts';
import { type ModelServerHandle, modelServerConfigSchema, startModelServer } from '@sightline/model-server';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { createTensor, decodeInferInputs, encodeInferOutputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainerHandle } from '../src/explainer.js';
import { startBuiltInExplainer } from './helpers/built-in-stack.js';
import { explainerClient, IRIS_BACKGROUND, irisInstances, REPOSITORY } from './helpers/explainer-stack.js';

const { JobState } = explainerV1;
type Request = explainerV1.DeepPartial<explainerV1.ExplainRequest>;

const ROW = [[6.7, 3.0, 5.2, 2.3]];
const kernelShap = (target: Request['target'], extra: Request = {}): Request => ({
  target,
  instances: irisInstances(ROW),
  background: { rows: { tensors: irisInstances(IRIS_BACKGROUND) } },
  kernelShap: { nSamples: 64 },
  cache: explainerV1.CachePolicy.CACHE_POLICY_BYPASS,
  ...extra,
});

/** A V2 model "linear" (score = sum of 4 inputs) whose ModelInfer answers `answered` calls, then hangs. */
async function startHangingServer() {
  const state = { answered: 0, calls: 0 };
  const server = new Server();
  const unimplemented = (_: unknown, callback: sendUnaryData<unknown>) =>
    callback({ code: status.UNIMPLEMENTED, details: 'no' }, null);
  server.addService(inference.GRPCInferenceServiceService, {
    serverLive: unimplemented,
    serverReady: unimplemented,
    modelReady: unimplemented,
    serverMetadata: unimplemented,
    modelStatistics: unimplemented,
    repositoryIndex: unimplemented,
    repositoryModelLoad: unimplemented,
    repositoryModelUnload: unimplemented,
    modelConfig: unimplemented,
    modelMetadata: (_: unknown, callback: sendUnaryData<inference.ModelMetadataResponse>) =>
      callback(null, {
        name: 'linear',
        versions: ['1'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1n, 4n] }],
        outputs: [{ name: 'score', datatype: 'FP64', shape: [-1n, 1n] }],
        parameters: {},
      }),
    modelInfer: (
      call: ServerUnaryCall<inference.ModelInferRequest, unknown>,
      callback: sendUnaryData<inference.ModelInferResponse>,
    ) => {
      state.calls += 1;
      // Past its answered calls it never answers: only the caller's deadline ends the call.
      if (state.calls > state.answered) return;
      const [input] = decodeInferInputs(call.request);
      const rows = input!.shape[0]!;
      const data = input!.data as Float32Array;
      const scores = Float64Array.from({ length: rows }, (_, r) =>
        [0, 1, 2, 3].reduce((sum, j) => sum + data[r * 4 + j]!, 0),
      );
      callback(null, {
        modelName: 'linear',
        modelVersion: '1',
        id: '',
        parameters: {},
        ...encodeInferOutputs([createTensor('score', 'FP64', [rows, 1], scores)], 'raw'),
      });
    },
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return { address: `127.0.0.1:${port}`, state, stop: () => server.forceShutdown() };
}

/** The error a call failed with (undefined when it answered). */
async function failure(call: Promise<unknown>): Promise<ServiceError | undefined> {
  return call.then(
    () => undefined,
    (error: ServiceError) => error,
  );
}

describe('a hostile first try', () => {
  let repository: string;
  let modelServer: ModelServerHandle;
  let hanging: Awaited<ReturnType<typeof startHangingServer>>;
  let explainer: ExplainerHandle;
  let client: ReturnType<typeof explainerClient>;

  beforeAll(async () => {
    repository = await mkdtemp(path.join(tmpdir(), 'hostile-explainer-'));
    await cp(path.join(REPOSITORY, 'iris'), path.join(repository, 'iris'), { recursive: true });
    modelServer = await startModelServer(
      loadConfig(modelServerConfigSchema, {
        flags: { host: '127.0.0.1', grpcPort: '0', httpPort: '0', repository, logLevel: 'silent' },
      }),
      { logger: silentLogger() },
    );
    hanging = await startHangingServer();
    explainer = await startBuiltInExplainer(modelServer.grpcAddress, { repository });
    client = explainerClient(explainer.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    hanging?.stop();
    await modelServer?.shutdown('test over');
    if (repository) await rm(repository, { recursive: true, force: true });
  });

  it('refuses NaN and Infinity in instances and background, naming the tensor, row and element', async () => {
    const nan = await failure(
      client.explain(
        kernelShap({ modelName: 'iris' }, { instances: irisInstances([[Number.NaN, 3, 5, 2]]) }),
      ),
    );
    expect({ code: nan?.code, details: nan?.details }).toEqual({
      code: status.INVALID_ARGUMENT,
      details:
        'instances "input": row 0, element 0: must be a finite number, got NaN (rule "instances.finite")',
    });
    const background = [
      [5, 3, 1, 0.2],
      [5, 3, Number.POSITIVE_INFINITY, 0.2],
    ];
    const infinite = await failure(
      client.explain(
        kernelShap({ modelName: 'iris' }, { background: { rows: { tensors: irisInstances(background) } } }),
      ),
    );
    expect({ code: infinite?.code, details: infinite?.details }).toEqual({
      code: status.INVALID_ARGUMENT,
      details:
        'background.rows "input": row 1, element 2: must be a finite number, got Infinity (rule "instances.finite")',
    });
  });

  it('fails a time budget spent before anything was measured DEADLINE_EXCEEDED, not an empty answer', async () => {
    const error = await failure(
      client.explain(kernelShap({ modelName: 'iris' }, { budget: { timeoutMs: 1 } })),
    );
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error?.details).toMatch(
      /^budget\.timeout_ms: 1 ms spent: 0 of 1 instances explained \(0% of the work\), 0 model calls/,
    );
  });

  it('ends at the budget against a model that hangs: a partial result from the calls answered', async () => {
    hanging.state.answered = 2;
    hanging.state.calls = 0;
    const response = await client.explain(
      kernelShap(
        { modelName: 'linear', address: hanging.address },
        { budget: { timeoutMs: 2_000, maxRowsPerCall: 10 } },
      ),
    );
    expect(response.usage).toMatchObject({
      complete: false,
      incompleteReason: 'budget.timeout_ms: 2000 ms spent',
    });
    expect(response.usage!.modelCalls).toBe(3);
    const row = response.explanations[0]!;
    expect(row.complete).toBe(false);
    expect(row.fractionDone).toBeGreaterThan(0);
    expect(row.attributions!.outputs).toHaveLength(1);
  });

  it('fails DEADLINE_EXCEEDED when a hung model answers nothing before the deadline, and keeps serving', async () => {
    hanging.state.answered = 0;
    hanging.state.calls = 0;
    const error = await failure(
      client.explain(kernelShap({ modelName: 'linear', address: hanging.address }), { deadlineMs: 1_500 }),
    );
    expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
    expect(error?.details).toMatch(
      /^budget\.timeout_ms: the call's deadline \(less the answer margin\) reached: 0 of 1/,
    );
    const fine = await client.explain(kernelShap({ modelName: 'iris' }));
    expect(fine.usage?.complete).toBe(true);
  });

  it('names the target that cannot be reached, without grpc-js trailing noise', async () => {
    const error = await failure(client.explain(kernelShap({ modelName: 'iris', address: '127.0.0.1:1' })));
    expect(error?.code).toBe(status.UNAVAILABLE);
    expect(error?.details).toMatch(/^target 127\.0\.0\.1:1: unavailable: /);
    expect(error?.details).not.toMatch(/Resolution note/);
  });

  it('stops a k-means background reduction at the time budget instead of holding the explainer', async () => {
    // 10,000 distinct rows into 5,000 centres: 10 restarts of k-means++ seeding alone are
    // 10 × 5,000 × 10,000 distances, far past the 1 s asked for.
    const rows = Array.from({ length: 10_000 }, (_, i) => [i % 97, (i * 7) % 89, (i * 13) % 83, i / 1000]);
    const error = await failure(
      client.explain(
        kernelShap(
          { modelName: 'iris' },
          {
            background: {
              rows: { tensors: irisInstances(rows) },
              reduction: explainerV1.BackgroundReduction.BACKGROUND_REDUCTION_KMEANS,
              size: 5_000,
            },
            budget: { timeoutMs: 1_000 },
          },
        ),
      ),
    );
    expect({ code: error?.code, details: error?.details }).toEqual({
      code: status.DEADLINE_EXCEEDED,
      details:
        'background.size: the k-means summary of 10000 rows into 5000 centres did not finish within the time budget; ask a smaller background.size, reduction SAMPLE, or a longer budget (rule "background.kmeans_time")',
    });
  });

  it('says a batch bigger than the calls left stopped the work, not "N calls spent" beside fewer calls', async () => {
    // Anchors' first beam wants 2 × 10,000 rows (313 calls of iris's 64): past the 3 calls left.
    const error = await failure(
      client.explain({
        ...kernelShap({ modelName: 'iris' }),
        kernelShap: undefined,
        anchors: { batchSize: 10_000 },
        budget: { maxModelCalls: 5 },
      }),
    );
    expect(error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(error?.details).toMatch(
      /^budget\.max_model_calls: the next batch of 20000 rows needs 313 calls, 3 of 5 are left: 0 of 1 instances explained \(0% of the work\), 2 model calls/,
    );
  });

  it('answers a cancelled running job CANCELLED at once, its progress short of done', async () => {
    hanging.state.answered = 1;
    hanging.state.calls = 0;
    const { job } = await client.start({
      local: kernelShap(
        { modelName: 'linear', address: hanging.address },
        { budget: { timeoutMs: 60_000, maxRowsPerCall: 10 } },
      ),
    });
    // Running, its second call hanging.
    for (let i = 0; i < 200 && hanging.state.calls < 2; i++) await new Promise((r) => setTimeout(r, 25));
    expect(hanging.state.calls).toBe(2);
    const cancelled = await client.cancel({ id: job!.id });
    expect(cancelled.job!.state).toBe(JobState.JOB_STATE_CANCELLED);
    expect(cancelled.job!.progress!.fraction).toBeLessThan(1);
    const again = await client.cancel({ id: job!.id });
    expect(again.job!.state).toBe(JobState.JOB_STATE_CANCELLED);
  });

  it('says a job from before a restart is gone because jobs live in memory', async () => {
    const { job } = await client.start({ local: kernelShap({ modelName: 'iris' }) });
    const restarted = await startBuiltInExplainer(modelServer.grpcAddress, { repository });
    const other = explainerClient(restarted.grpcAddress);
    try {
      const error = await failure(other.get({ id: job!.id }));
      expect({ code: error?.code, details: error?.details }).toEqual({
        code: status.NOT_FOUND,
        details: `job "${job!.id}" not found: jobs live in this explainer's memory, so an unknown id, one that ended more than --job-ttl-ms ago, or one from before the explainer restarted is gone`,
      });
    } finally {
      other.close();
      await restarted.shutdown('test over');
    }
  });

  it('misses the cache once the model is reloaded at a new version, then hits it again', async () => {
    const request = { ...kernelShap({ modelName: 'iris' }), cache: explainerV1.CachePolicy.CACHE_POLICY_USE };
    const first = await client.explain(request);
    expect(first.usage?.cacheHit).toBe(false);
    expect((await client.explain(request)).usage?.cacheHit).toBe(true);
    await cp(path.join(repository, 'iris', '1'), path.join(repository, 'iris', '2'), { recursive: true });
    const repo = new inference.GRPCInferenceServiceClient(
      modelServer.grpcAddress,
      credentials.createInsecure(),
    );
    try {
      await new Promise<void>((resolve, reject) =>
        repo.repositoryModelLoad({ repositoryName: '', modelName: 'iris', parameters: {} }, (error) =>
          error ? reject(error) : resolve(),
        ),
      );
    } finally {
      repo.close();
    }
    const reloaded = await client.explain(request);
    expect(reloaded.usage?.cacheHit).toBe(false);
    expect(reloaded.meta?.target?.modelVersion).toBe('2');
    expect((await client.explain(request)).usage?.cacheHit).toBe(true);
  });

  it('bounds the job queue, naming --max-queued-explanations', async () => {
    // A small explainer of its own: 1 running, 2 waiting, each job stuck on the hung model.
    hanging.state.answered = 0;
    hanging.state.calls = 0;
    const small = await startBuiltInExplainer(modelServer.grpcAddress, {
      maxRunningExplanations: '1',
      maxQueuedExplanations: '2',
    });
    const smallClient = explainerClient(small.grpcAddress);
    try {
      const local = kernelShap(
        { modelName: 'linear', address: hanging.address },
        { budget: { timeoutMs: 60_000 } },
      );
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await smallClient.start({ local })).job!.id);
      const error = await failure(smallClient.start({ local }));
      expect({ code: error?.code, details: error?.details }).toEqual({
        code: status.RESOURCE_EXHAUSTED,
        details:
          'StartExplanation: 2 jobs are waiting, the most --max-queued-explanations allows; retry later',
      });
      for (const id of ids) await smallClient.cancel({ id });
    } finally {
      smallClient.close();
      await small.shutdown('test over');
    }
  });
});
