/**
 * Requested outputs with parameters the model-server applies (Triton's `classification`)
 * through the router, against a real model-server child process: forwarded to the model
 * that answers (pass-through, a model root, a sequence's last step, a switch's case), and
 * refused with INVALID_ARGUMENT where the answer is the router's own (an ensemble).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import type { inference } from '@sightline/contracts';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerConfigSchema } from '../src/config.js';
import { type RouterHandle, startRouter } from '../src/router.js';
import { type ChildService, startChildService } from './helpers/child-service.js';
import { call, graphClient, inferenceClient, irisRequest, rawIrisRequest } from './helpers/v2-calls.js';

let modelServer: ChildService;
let router: RouterHandle;
let client: ReturnType<typeof inferenceClient>;
let graphs: ReturnType<typeof graphClient>;
let dataDir: string;

const GRAPHS = [
  `
name: cls-model
root: iris
nodes:
  - name: iris
    model: { modelName: iris }
`,
  `
name: cls-sequence
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: first }, { node: last, input: request }] }
  - name: first
    model: { modelName: iris }
  - name: last
    model: { modelName: iris-tfjs }
`,
  `
name: cls-switch
root: sw
nodes:
  - name: sw
    switch:
      cases: [{ condition: { header: x-runtime, operator: eq, values: [tfjs] }, node: tfjs }]
      defaultNode: onnx
  - name: onnx
    model: { modelName: iris }
  - name: tfjs
    model: { modelName: iris-tfjs }
`,
  `
name: cls-ensemble
root: ens
nodes:
  - name: ens
    ensemble: { members: [{ node: a }, { node: b }], combiner: mean }
  - name: a
    model: { modelName: iris }
  - name: b
    model: { modelName: iris-tfjs }
`,
];

/** The request asking `probabilities` as the top-2 classes. */
function classified(request: inference.ModelInferRequest): inference.ModelInferRequest {
  return {
    ...request,
    outputs: [{ name: 'probabilities', parameters: { classification: { int64Param: 2n } } }],
  };
}

/** The answer's first output as strings (typed or raw BYTES contents). */
function classes(response: inference.ModelInferResponse): string[] {
  const typed = response.outputs[0]?.contents?.bytesContents;
  if (typed && typed.length > 0) return typed.map((b) => Buffer.from(b).toString());
  const raw = Buffer.from(response.rawOutputContents[0] ?? new Uint8Array());
  const out: string[] = [];
  for (let at = 0; at < raw.length; ) {
    const length = raw.readUInt32LE(at);
    out.push(raw.subarray(at + 4, at + 4 + length).toString());
    at += 4 + length;
  }
  return out;
}

beforeAll(async () => {
  modelServer = await startChildService('model-server', ['--repository', 'examples/models']);
  dataDir = await mkdtemp(path.join(tmpdir(), 'router-output-parameters-'));
  router = await startRouter(
    loadConfig(routerConfigSchema, {
      flags: {
        host: '127.0.0.1',
        grpcPort: 0,
        httpPort: 0,
        defaultModelServer: modelServer.address,
        dataDir,
        events: false,
        shutdownGraceMs: 2000,
      },
    }),
    { logger: silentLogger() },
  );
  client = inferenceClient(router.grpcAddress);
  graphs = graphClient(router.grpcAddress);
  for (const text of GRAPHS) await call(graphs, graphs.applyGraph, { document: { format: 0, text } });
}, 90_000);

afterAll(async () => {
  client?.close();
  graphs?.close();
  await router?.shutdown();
  await modelServer?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('requested outputs with model-server parameters', () => {
  it.each([
    ['pass-through', 'iris', {}],
    ['a model root', 'cls-model', {}],
    ['a sequence (its last step)', 'cls-sequence', {}],
    ['a switch (its default case)', 'cls-switch', {}],
    ['a switch (a matching case)', 'cls-switch', { 'x-runtime': 'tfjs' }],
  ])('forwards classification to the model that answers: %s', async (_what, name, headers) => {
    for (const request of [irisRequest(name), rawIrisRequest(name)]) {
      const response = await call(client, client.modelInfer, classified(request), { headers });
      const output = response.outputs[0];
      expect(output?.name).toBe('probabilities');
      expect(output?.datatype).toBe('BYTES');
      expect(output?.shape).toEqual([1n, 2n]);
      const top = classes(response);
      expect(top).toHaveLength(2);
      expect(top[0]).toMatch(/^0\.\d{6}:0/);
    }
  });

  it('keeps binary_data a router parameter: an ensemble answers it with raw contents', async () => {
    const response = await call(client, client.modelInfer, {
      ...irisRequest('cls-ensemble'),
      outputs: [{ name: 'probabilities', parameters: { binary_data: { boolParam: true } } }],
    });
    expect(response.outputs[0]?.datatype).toBe('FP32');
    expect(response.rawOutputContents[0]?.length).toBe(12);
  });

  it('refuses classification where the router makes the answer: INVALID_ARGUMENT naming output, parameter, graph and node', async () => {
    await expect(
      call(client, client.modelInfer, classified(irisRequest('cls-ensemble'))),
    ).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details:
        'output "probabilities": parameter "classification" is applied by the model-server; graph "cls-ensemble" ends in ensemble node "ens", whose answer the router combines itself (mean)',
    });
  });
});
