/**
 * What every model call carries: the caller's W3C trace context and a deadline no later
 * than the caller's, seen by a V2 server that records the metadata of each call (a small
 * linear model served over real gRPC on 127.0.0.1).
 */
import { Metadata, Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { explainerV1, inference } from '@sightline/contracts';
import { createTensor, decodeInferInputs, encodeInferOutputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExplainerHandle } from '../src/explainer.js';
import { explainerClient, irisInstances, startTestExplainer } from './helpers/explainer-stack.js';

interface SeenCall {
  readonly traceparent: string | undefined;
  readonly deadlineMs: number;
  readonly rows: number;
}

/** A V2 server of model "linear": score = sum of the 4 inputs, one column. */
async function startLinearServer(seen: SeenCall[]): Promise<{ address: string; stop: () => Promise<void> }> {
  const server = new Server();
  const unimplemented = (_: unknown, callback: sendUnaryData<unknown>) =>
    callback({ code: 12, details: 'no' }, null);
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
    modelMetadata: (
      _call: ServerUnaryCall<inference.ModelMetadataRequest, unknown>,
      callback: sendUnaryData<inference.ModelMetadataResponse>,
    ) =>
      callback(null, {
        name: 'linear',
        versions: ['7'],
        platform: 'onnxruntime_onnx',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1n, 4n] }],
        outputs: [{ name: 'score', datatype: 'FP64', shape: [-1n, 1n] }],
        parameters: {},
      }),
    modelInfer: (
      call: ServerUnaryCall<inference.ModelInferRequest, unknown>,
      callback: sendUnaryData<inference.ModelInferResponse>,
    ) => {
      const [input] = decodeInferInputs(call.request);
      const rows = input!.shape[0]!;
      const data = input!.data as Float32Array;
      const scores = Float64Array.from(
        { length: rows },
        (_, r) => data[r * 4]! + data[r * 4 + 1]! + data[r * 4 + 2]! + data[r * 4 + 3]!,
      );
      const deadline = call.getDeadline();
      seen.push({
        traceparent: call.metadata.get('traceparent')[0] as string | undefined,
        deadlineMs: deadline instanceof Date ? deadline.getTime() : Number(deadline),
        rows,
      });
      callback(null, {
        modelName: 'linear',
        modelVersion: '7',
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
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())),
  };
}

describe('model calls', () => {
  const seen: SeenCall[] = [];
  let target: Awaited<ReturnType<typeof startLinearServer>>;
  let explainer: ExplainerHandle;
  let client: ReturnType<typeof explainerClient>;

  beforeAll(async () => {
    target = await startLinearServer(seen);
    explainer = await startTestExplainer(target.address);
    client = explainerClient(explainer.grpcAddress);
  });
  afterAll(async () => {
    client?.close();
    await explainer?.shutdown('test over');
    await target?.stop();
  });

  it("carry the caller's traceparent and a deadline no later than the caller's, one call per batch", async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const metadata = new Metadata();
    metadata.set('traceparent', traceparent);
    const response = await client.explain(
      {
        target: { modelName: 'linear' },
        instances: irisInstances([
          [1, 2, 3, 4],
          [4, 3, 2, 1],
        ]),
        background: { rows: { tensors: irisInstances([[0, 0, 0, 0]]) } },
        kernelShap: { nSamples: 2 },
        budget: { maxRowsPerCall: 3 },
      },
      { metadata, deadlineMs: 10_000 },
    );
    // The caller's deadline was set before this instant; the budget ends 50 ms (the answer
    // margin) before it, and grpc-timeout carries it to the server in whole milliseconds.
    const callerDeadlineBound = Date.now() + 10_000;
    expect(response.meta?.target?.modelVersion).toBe('7');
    // 2 rows × 2 rounds × 5 ablated rows, in calls of at most 3 rows (3 + 2 per round).
    expect(seen.map((c) => c.rows)).toEqual([3, 2, 3, 2, 3, 2, 3, 2]);
    for (const call of seen) {
      // The explainer records no spans here, so it passes the caller's traceparent as it is.
      expect(call.traceparent).toBe(traceparent);
      expect(call.deadlineMs).toBeLessThanOrEqual(callerDeadlineBound);
    }
    // A linear model's ablation drop is the feature itself (background 0).
    const features = response.explanations[1]!.attributions!.outputs[0]!.features;
    expect(features.map((f) => f.value)).toEqual([4, 3, 2, 1]);
    expect(response.explanations[0]!.attributions!.outputs[0]!.prediction).toBe(10);
    expect(explainerV1.ExplainResponse.toJSON(response)).toBeDefined();
  });
});
