/**
 * Graph features beyond the basic walk, against a real model-server child process:
 * asynchronous detector nodes (off the answer's path), the drift detector client, the
 * ensemble `model` combiner, `--strict-graphs`, and runtime graphs surviving a restart.
 * Detector and combiner upstreams are in-test services implementing their contracts.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { driftV1, inference, type outlierV1, type routerV1 } from '@sightline/contracts';
import { loadConfig } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routerConfigSchema } from '../src/config.js';
import { type RouterHandle, startRouter } from '../src/router.js';
import { type ChildService, REPO_ROOT, startChildService } from './helpers/child-service.js';
import { fakeDriftService, fakeInferenceService, fakeOutlierService } from './helpers/fake-services.js';
import { call, graphClient, inferenceClient, irisRequest, param } from './helpers/v2-calls.js';

let modelServer: ChildService;
const cleanups: (() => Promise<void> | void)[] = [];

async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function startTestRouter(flags: Record<string, unknown>): Promise<RouterHandle> {
  const config = loadConfig(routerConfigSchema, {
    flags: {
      host: '127.0.0.1',
      grpcPort: 0,
      httpPort: 0,
      defaultModelServer: modelServer.address,
      shutdownGraceMs: 2000,
      ...flags,
    },
  });
  return startRouter(config, { logger: silentLogger(), env: { MODEL_SERVER_ADDRESS: modelServer.address } });
}

/** A router on a fresh data dir with its clients, stopped after the file. */
async function router(flags: Record<string, unknown> = {}) {
  const handle = await startTestRouter({ dataDir: await tempDir('router-features-'), ...flags });
  const client = inferenceClient(handle.grpcAddress);
  const graphs = graphClient(handle.grpcAddress);
  cleanups.push(async () => {
    client.close();
    graphs.close();
    await handle.shutdown();
  });
  const apply = (text: string): Promise<routerV1.ApplyGraphResponse> =>
    call(graphs, graphs.applyGraph, { document: { format: 0, text } });
  return { handle, client, graphs, apply };
}

function floats(tensor: inference.InferTensorContents | undefined, raw: Buffer | undefined): number[] {
  if (raw)
    return Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
  return tensor?.fp32Contents ?? [];
}

function responseFloats(response: inference.ModelInferResponse, index = 0): number[] {
  return floats(response.outputs[index]?.contents, response.rawOutputContents[index]);
}

const OUTLIER_META = {
  name: 'iris-od',
  kind: 'IForest',
  detectorType: 'outlier',
  online: false,
  dataType: 'tabular',
  schemaVersion: 1,
  version: 1,
};

beforeAll(async () => {
  modelServer = await startChildService('model-server', ['--repository', 'examples/models']);
}, 90_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await modelServer?.stop();
});

describe('detector nodes', () => {
  it('runs an async outlier detector off the critical path: the answer does not wait, the detector is still called', async () => {
    const DETECTOR_DELAY_MS = 1500;
    const seen: outlierV1.PredictRequest[] = [];
    const detector = await fakeOutlierService(async (request) => {
      seen.push(request);
      await new Promise((resolve) => setTimeout(resolve, DETECTOR_DELAY_MS));
      return {
        meta: OUTLIER_META,
        data: { isOutlier: [true], instanceScore: [0.9], threshold: 0.5, featureScore: [] },
      };
    });
    cleanups.push(() => detector.stop());
    const { client, apply } = await router();
    await apply(`
name: watched-iris
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: od }, { node: iris }] }
  - name: od
    detector: { kind: outlier, address: "${detector.address}", detector: iris-od, mode: async }
  - name: iris
    model: { modelName: iris }
`);
    const started = Date.now();
    const response = await call(
      client,
      client.modelInfer,
      irisRequest('watched-iris', [[5.1, 3.5, 1.4, 0.2]], 'req-async'),
    );
    expect(Date.now() - started).toBeLessThan(DETECTOR_DELAY_MS);
    expect(response.outputs[0]?.name).toBe('probabilities');
    expect(param(response, 'sightline.path')).toBe('seq,od,iris');
    expect(param(response, 'sightline.iris-od.is_outlier')).toBeUndefined();
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(1);
    expect(seen[0]).toMatchObject({ name: 'iris-od', requestId: 'req-async' });
    expect(seen[0]!.data[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: [1n, 4n] });
  });

  it('calls a drift detector synchronously and adds its verdict to the response', async () => {
    const seen: driftV1.PredictRequest[] = [];
    const detector = await fakeDriftService((request) => {
      seen.push(request);
      // fromPartial: repeated fields the contract adds later (online_rows ...) get their defaults.
      return driftV1.PredictResponse.fromPartial({
        meta: { ...OUTLIER_META, name: request.name, kind: 'KSDrift', detectorType: 'drift' },
        data: {
          isDrift: true,
          threshold: 0.05,
          features: [],
          pVal: 0.01,
          pValAlpha: 0.05,
          correction: driftV1.Correction.CORRECTION_BONFERRONI,
          verdictOn: 'p_value',
          rows: 1n,
        },
      });
    });
    cleanups.push(() => detector.stop());
    const { client, apply } = await router({ driftAddress: detector.address });
    await apply(`
name: drift-iris
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: cd }, { node: iris }] }
  - name: cd
    detector: { kind: drift, detector: iris-cd, mode: sync, addVerdictToResponse: true, tensors: [input] }
  - name: iris
    model: { modelName: iris }
`);
    const response = await call(
      client,
      client.modelInfer,
      irisRequest('drift-iris', [
        [5.1, 3.5, 1.4, 0.2],
        [6.7, 3.0, 5.2, 2.3],
      ]),
    );
    expect(param(response, 'sightline.iris-cd.is_drift')).toBe(true);
    expect(param(response, 'sightline.iris-cd.p_val')).toBe(0.01);
    expect(response.outputs[0]?.name).toBe('probabilities');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ name: 'iris-cd', returnPVal: true });
    expect(seen[0]!.data[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: [2n, 4n] });
  });
});

describe('ensemble with a combiner model', () => {
  it("hands every member's outputs, renamed <member>.<tensor>, to the combiner node and answers with its output", async () => {
    const received: string[][] = [];
    const combiner = await fakeInferenceService((request) => {
      received.push(request.inputs.map((i) => i.name));
      const values = request.inputs.map((input, i) => floats(input.contents, request.rawInputContents[i]));
      const max = values[0]!.map((_, k) => Math.max(...values.map((v) => v[k]!)));
      return inference.ModelInferResponse.fromPartial({
        modelName: request.modelName,
        modelVersion: '1',
        outputs: [
          {
            name: 'best',
            datatype: 'FP32',
            shape: request.inputs[0]!.shape,
            contents: { fp32Contents: max },
          },
        ],
      });
    });
    cleanups.push(() => combiner.stop());
    const { client, apply } = await router();
    await apply(`
name: iris-max
root: vote
nodes:
  - name: vote
    ensemble:
      members: [{ node: onnx }, { node: tfjs }]
      combiner: model
      combinerNode: pick
  - name: onnx
    model: { modelName: iris }
  - name: tfjs
    model: { modelName: iris-tfjs }
  - name: pick
    model: { address: "${combiner.address}", modelName: max-combiner }
`);
    const direct = inferenceClient(modelServer.address);
    try {
      const [answer, onnx, tfjs] = await Promise.all([
        call(client, client.modelInfer, irisRequest('iris-max')),
        call(direct, direct.modelInfer, irisRequest('iris')),
        call(direct, direct.modelInfer, irisRequest('iris-tfjs')),
      ]);
      expect(received).toHaveLength(1);
      expect([...received[0]!].sort()).toEqual(['onnx.probabilities', 'tfjs.probabilities']);
      expect(answer.outputs.map((o) => o.name)).toEqual(['best']);
      const expected = responseFloats(onnx).map((v, i) => Math.max(v, responseFloats(tfjs)[i]!));
      responseFloats(answer).forEach((v, i) => {
        expect(v).toBeCloseTo(expected[i]!, 5);
      });
      expect(String(param(answer, 'sightline.path')).split(',')).toEqual(
        expect.arrayContaining(['vote', 'onnx', 'tfjs', 'pick']),
      );
    } finally {
      direct.close();
    }
  });
});

describe('graph files at start', () => {
  async function graphsDir(): Promise<string> {
    const dir = await tempDir('router-graphs-');
    await writeFile(
      path.join(dir, 'good.yaml'),
      'name: good\nroot: m\nnodes: [{ name: m, model: { modelName: iris } }]\n',
    );
    await writeFile(
      path.join(dir, 'bad.yaml'),
      `name: bad
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: ghost }] }
  - name: split
    splitter: { branches: [{ node: seq, weight: 30 }] }
`,
    );
    await writeFile(path.join(dir, 'broken.json'), '{ "name": "broken", ');
    return dir;
  }

  it('--strict-graphs refuses to start, listing every problem of every bad file', async () => {
    const error = await startTestRouter({
      dataDir: await tempDir('router-strict-'),
      graphs: await graphsDir(),
      strictGraphs: 'true',
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('--strict-graphs: 2 graph file(s) invalid');
    expect(message).toContain('refers to unknown node "ghost"');
    expect(message).toContain('splitter weights must sum to 100, got 30');
    expect(message).toContain('broken.json: invalid JSON');
  });

  it('without --strict-graphs serves the valid files and leaves the bad ones out', async () => {
    const { client, graphs } = await router({ graphs: await graphsDir() });
    const answer = await call(client, client.modelInfer, irisRequest('good'));
    expect(answer.outputs[0]?.name).toBe('probabilities');
    await expect(call(graphs, graphs.getGraph, { name: 'bad' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });
});

describe('runtime graphs', () => {
  it('keeps graphs applied at runtime across a restart (under --data-dir), and forgets deleted ones', async () => {
    const dataDir = await tempDir('router-persist-');
    await mkdir(dataDir, { recursive: true });
    const yaml = `
name: applied-iris
description: applied at runtime
root: m
nodes: [{ name: m, model: { modelName: iris } }]
`;
    const first = await router({ dataDir });
    await first.apply(yaml);
    await first.handle.shutdown();

    const second = await router({ dataDir });
    const stored = await call(second.graphs, second.graphs.getGraph, { name: 'applied-iris' });
    expect(stored.graph?.graph).toMatchObject({ name: 'applied-iris', description: 'applied at runtime' });
    const answer = await call(second.client, second.client.modelInfer, irisRequest('applied-iris'));
    expect(answer.modelName).toBe('applied-iris');
    expect(answer.outputs[0]?.name).toBe('probabilities');
    await call(second.graphs, second.graphs.deleteGraph, { name: 'applied-iris' });
    await second.handle.shutdown();

    const third = await router({ dataDir, passThrough: 'false' });
    await expect(
      call(third.client, third.client.modelInfer, irisRequest('applied-iris')),
    ).rejects.toMatchObject({ code: status.NOT_FOUND });
  });
});

describe('pass-through metrics', () => {
  it('never turns a name that is neither a graph nor a served model into a label value', async () => {
    const { handle, client } = await router({ graphs: path.join(REPO_ROOT, 'examples/graphs') });
    const madeUp = Array.from({ length: 25 }, (_, i) => `made-up-model-${i}`);
    for (const name of madeUp) {
      await expect(call(client, client.modelInfer, irisRequest(name))).rejects.toMatchObject({
        code: status.NOT_FOUND,
      });
    }
    await call(client, client.modelInfer, irisRequest('iris-tfjs'));
    await call(client, client.modelInfer, irisRequest('iris'));
    const metrics = await (await fetch(`http://127.0.0.1:${handle.httpPort}/metrics`)).text();
    expect(metrics).not.toContain('made-up-model');
    const sample = (name: string, labels: Record<string, string>): number | undefined => {
      const line = metrics
        .split('\n')
        .find(
          (l) =>
            l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        );
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    const requests = 'sightline_router_request_duration_seconds_count';
    expect(sample(requests, { graph: '', code: 'NOT_FOUND' })).toBe(madeUp.length);
    expect(sample(requests, { graph: 'iris-tfjs', code: 'OK' })).toBe(1);
    expect(sample(requests, { graph: 'iris', code: 'OK' })).toBe(1);
    // Pass-through node metrics are keyed by the constant pass-through graph, not the model.
    expect(
      sample('sightline_router_node_errors_total', { graph: '', node: 'model', code: 'NOT_FOUND' }),
    ).toBe(madeUp.length);
  });
});
