/**
 * The router in-process in front of a real model-server child process: graphs by name
 * from any V2 client, the GraphService, and the faults (unknown graph, invalid graph,
 * upstream down, hung upstream), plus a detector node against an in-test outlier service
 * (the outlier service does not exist yet; this fake implements its v1 Predict contract).
 *
 * A function, not a file, so each upstream ModelInfer client (`--upstream-client`) runs the
 * same suite from its own test file: modules are shared between files in a worker, so a
 * file cannot be imported twice to run it again.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, credentials, Metadata, Server, ServerCredentials, status } from '@grpc/grpc-js';
import { inference, outlierV1, routerV1 } from '@sightline/contracts';
import { FileEventStore, silentEventLogger } from '@sightline/events';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../../src/router.js';
import { type ChildService, startChildService } from './child-service.js';
import { closedPort } from './closed-port.js';
import { oneHopGraphsDir } from './one-hop-graphs.js';
import { testRouterConfig } from './router-config.js';
import { call, graphClient, inferenceClient, irisRequest, param, rawIrisRequest } from './v2-calls.js';

/** Defines the suite for one upstream client: http2, connect or grpc-js. */
export function defineRouterIntegrationSuite(UPSTREAM_CLIENT: string): void {
  let modelServer: ChildService;
  let router: RouterHandle;
  let dataDir: string;
  let client: inference.GRPCInferenceServiceClient;
  let graphs: routerV1.GraphServiceClient;
  let direct: inference.GRPCInferenceServiceClient;

  async function startTestRouter(
    dir: string,
    extraFlags: Record<string, unknown> = {},
  ): Promise<RouterHandle> {
    const config = testRouterConfig({
      graphs: oneHopGraphsDir(),
      defaultModelServer: modelServer.address,
      dataDir: dir,
      upstreamClient: UPSTREAM_CLIENT,
      ...extraFlags,
    });
    return startRouter(config, {
      logger: silentLogger(),
      env: { MODEL_SERVER_ADDRESS: modelServer.address },
    });
  }

  function floats(response: inference.ModelInferResponse, index = 0): number[] {
    const raw = response.rawOutputContents[index];
    if (raw)
      return Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)));
    return response.outputs[index]!.contents!.fp32Contents;
  }

  async function apply(yaml: string): Promise<routerV1.ApplyGraphResponse> {
    return call(graphs, graphs.applyGraph, { document: { format: 0, text: yaml } });
  }

  beforeAll(async () => {
    modelServer = await startChildService('model-server', ['--repository', 'examples/models']);
    dataDir = await mkdtemp(path.join(tmpdir(), 'router-test-'));
    router = await startTestRouter(dataDir);
    client = inferenceClient(router.grpcAddress);
    graphs = graphClient(router.grpcAddress);
    direct = inferenceClient(modelServer.address);
  }, 90_000);

  afterAll(async () => {
    client?.close();
    graphs?.close();
    direct?.close();
    await router?.shutdown();
    await modelServer?.stop();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  describe(`router in front of a model-server (upstream client ${UPSTREAM_CLIENT})`, () => {
    it("serves the iris graph by name with the model's inputs and outputs (typed and raw)", async () => {
      const viaRouter = await call(client, client.modelInfer, irisRequest('iris'));
      const viaModel = await call(direct, direct.modelInfer, irisRequest('iris'));
      expect(viaRouter.modelName).toBe('iris');
      expect(viaRouter.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
        ['probabilities', 'FP32', [1n, 3n]],
      ]);
      expect(floats(viaRouter)).toEqual(floats(viaModel));
      expect(param(viaRouter, 'sightline.path')).toBe('iris');

      const raw = await call(
        client,
        client.modelInfer,
        rawIrisRequest('iris', [
          [5.1, 3.5, 1.4, 0.2],
          [6.7, 3.0, 5.2, 2.3],
        ]),
      );
      expect(raw.rawOutputContents).toHaveLength(1);
      expect(floats(raw).slice(0, 3)).toEqual(floats(viaModel));

      const metadata = await call(client, client.modelMetadata, { name: 'iris', version: '' });
      expect(metadata.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1n, 4n] }]);
      expect(metadata.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1n, 3n] }]);
      expect((await call(client, client.modelReady, { name: 'iris', version: '' })).ready).toBe(true);
      expect((await call(client, client.serverReady, {})).ready).toBe(true);
    });

    it('averages the ONNX and TF.js iris models in the ensemble graph', async () => {
      const [ensemble, onnx, tfjs] = await Promise.all([
        call(client, client.modelInfer, irisRequest('iris-ensemble')),
        call(direct, direct.modelInfer, irisRequest('iris')),
        call(direct, direct.modelInfer, { ...irisRequest('iris-tfjs') }),
      ]);
      const expected = floats(onnx).map((v, i) => (v + floats(tfjs)[i]!) / 2);
      floats(ensemble).forEach((v, i) => {
        expect(v).toBeCloseTo(expected[i]!, 5);
      });
      expect(String(param(ensemble, 'sightline.path')).split(',').sort()).toEqual(['onnx', 'tfjs', 'vote']);
    });

    it('routes the switch graph by header and by parameter', async () => {
      const byHeader = await call(client, client.modelInfer, irisRequest('iris-switch'), {
        headers: { 'x-iris-runtime': 'tfjs' },
      });
      expect(param(byHeader, 'sightline.path')).toBe('by-runtime,tfjs');
      const byParameter = await call(client, client.modelInfer, {
        ...irisRequest('iris-switch'),
        parameters: { runtime: { stringParam: 'tensorflow' } },
      });
      expect(param(byParameter, 'sightline.path')).toBe('by-runtime,tfjs');
      const fallback = await call(client, client.modelInfer, irisRequest('iris-switch'));
      expect(param(fallback, 'sightline.path')).toBe('by-runtime,onnx');
      const sequence = await call(client, client.modelInfer, irisRequest('iris-sequence'));
      expect(param(sequence, 'sightline.path')).toBe('pipeline,first,second,third');
    });

    it('answers NOT_FOUND for an unknown graph and passes known models through', async () => {
      await expect(call(client, client.modelInfer, irisRequest('no-such-graph'))).rejects.toMatchObject({
        code: status.NOT_FOUND,
        details: expect.stringContaining('graph "no-such-graph" not found'),
      });
      const passed = await call(client, client.modelInfer, irisRequest('iris-tfjs'));
      expect(passed.modelName).toBe('iris-tfjs');
    });

    it("answers ModelMetadata of a name that is neither a graph nor a model with the router's NOT_FOUND sentence, as ModelInfer does", async () => {
      const sentence = expect.stringMatching(
        /^graph "no-such-graph" not found, and the default model-server at .* has no such model: /,
      );
      await expect(call(client, client.modelInfer, irisRequest('no-such-graph'))).rejects.toMatchObject({
        code: status.NOT_FOUND,
        details: sentence,
      });
      await expect(
        call(client, client.modelMetadata, { name: 'no-such-graph', version: '' }),
      ).rejects.toMatchObject({ code: status.NOT_FOUND, details: sentence });
    });

    it('answers 300 KB model, graph and node names at once with a quoted, bounded sentence, forwarding nothing', async () => {
      const big = 'm'.repeat(300_000);
      const quoted = `"${'m'.repeat(64)}"... (300000 characters)`;
      const outcome = async (work: Promise<unknown>) => {
        const started = Date.now();
        const error = (await work.then(
          () => undefined,
          (e: unknown) => e,
        )) as { code: number; details: string };
        expect(Date.now() - started).toBeLessThan(3_000);
        expect(error.details.length).toBeLessThan(1_100);
        return error;
      };
      const options = { deadlineMs: 10_000 };
      expect(await outcome(call(client, client.modelInfer, irisRequest(big), options))).toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: `model_name ${quoted}: longer than any graph or model name; at most 1024 characters`,
      });
      expect(
        await outcome(call(client, client.modelMetadata, { name: big, version: '' }, options)),
      ).toMatchObject({ code: status.INVALID_ARGUMENT });
      expect((await call(client, client.modelReady, { name: big, version: '' }, options)).ready).toBe(false);
      for (const method of [graphs.getGraph, graphs.deleteGraph]) {
        expect(await outcome(call(graphs, method, { name: big }, options))).toMatchObject({
          code: status.NOT_FOUND,
          details: `graph ${quoted} not found`,
        });
      }
      const nodeName = 'n'.repeat(300_000);
      const applied = await outcome(
        call(
          graphs,
          graphs.applyGraph,
          {
            document: {
              format: 0,
              text: `name: big-node\nroot: ${nodeName}\nnodes:\n  - name: ${nodeName}\n    model: { modelName: iris }\n`,
            },
          },
          options,
        ),
      );
      expect(applied.code).toBe(status.INVALID_ARGUMENT);
      expect(applied.details).toContain(`node "${'n'.repeat(64)}"... (300000 characters)`);
    });

    it('refuses a request id over --max-request-id-length before storing or echoing it, and takes one at the limit', async () => {
      await expect(
        call(client, client.modelInfer, irisRequest('iris', undefined, 'r'.repeat(5_000)), {
          deadlineMs: 10_000,
        }),
      ).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: "id: 5000 characters; at most 1024 (the router's --max-request-id-length)",
      });
      const atLimit = 'r'.repeat(1024);
      const answer = await call(client, client.modelInfer, irisRequest('iris', undefined, atLimit));
      expect(answer.id).toBe(atLimit);
    });

    it('answers pass-through requests with 200 KB input names promptly, while requests beside them succeed', async () => {
      const bad = {
        ...rawIrisRequest('iris-tfjs', [[5.1, 3.5, 1.4, 0.2]]),
      };
      bad.inputs = bad.inputs.map((input) => ({ ...input, name: 'i'.repeat(200_000) }));
      const started = Date.now();
      const bads = Array.from({ length: 24 }, () =>
        call(client, client.modelInfer, bad, { deadlineMs: 10_000 }).then(
          () => 'OK',
          (e: { code: number; details: string }) => ({ code: e.code, length: e.details.length }),
        ),
      );
      const goods = Array.from({ length: 8 }, (_, i) =>
        call(client, client.modelInfer, irisRequest(i % 2 ? 'iris' : 'iris-tfjs'), { deadlineMs: 10_000 }),
      );
      const goodAnswers = await Promise.all(goods);
      expect(goodAnswers.map((a) => a.outputs.length)).toEqual(Array(8).fill(1));
      for (const outcome of await Promise.all(bads)) {
        expect(outcome).toMatchObject({ code: status.INVALID_ARGUMENT });
        expect((outcome as { length: number }).length).toBeLessThan(1_100);
      }
      expect(Date.now() - started).toBeLessThan(8_000);
    });

    it('refuses an invalid graph with INVALID_ARGUMENT listing every problem, and stores nothing', async () => {
      const yaml = `
  name: broken
  root: seq
  nodes:
    - name: seq
      sequence: { steps: [{ node: a }, { node: ghost }] }
    - name: a
      model: { modelName: "" }
    - name: split
      splitter: { branches: [{ node: a, weight: 30 }] }
    - name: loop
      sequence: { steps: [{ node: loop2 }] }
    - name: loop2
      sequence: { steps: [{ node: loop }] }
    - name: weird
      transformer: {}
  `;
      const error = await apply(yaml).catch((e: { code: number; details: string }) => e);
      expect(error).toMatchObject({ code: status.INVALID_ARGUMENT });
      const details = (error as { details: string }).details;
      for (const fragment of [
        'node "seq": sequence.steps[1].node refers to unknown node "ghost" [node.reference_exists]',
        'node "a": model.model_name is empty [model.name_set]',
        'node "split": splitter weights must sum to 100, got 30 [splitter.weights_sum]',
        '[graph.acyclic]',
        'node "weird": "transformer" is not a node kind or field',
      ]) {
        expect(details).toContain(fragment);
      }
      await expect(call(graphs, graphs.getGraph, { name: 'broken' })).rejects.toMatchObject({
        code: status.NOT_FOUND,
      });

      const validated = await call(graphs, graphs.validateGraph, { document: { format: 0, text: yaml } });
      expect(validated.valid).toBe(false);
      expect(validated.problems.map((p) => p.rule)).toEqual(
        expect.arrayContaining([
          'node.reference_exists',
          'model.name_set',
          'splitter.weights_sum',
          'graph.acyclic',
          'node.kind_known',
        ]),
      );
    });

    it('refuses bad weights, two kinds, alias bombs, random text and too many nodes with a sentence, never INTERNAL', async () => {
      const splitter = (weights: number[]): routerV1.Graph =>
        routerV1.Graph.fromPartial({
          name: 'bad-weights',
          root: 'ab',
          nodes: [
            { name: 'ab', splitter: { branches: weights.map((weight) => ({ node: 'm', weight })) } },
            { name: 'm', model: { modelName: 'iris' } },
          ],
        });
      // 150 and "-50" as uint32: the message path.
      await expect(
        call(graphs, graphs.applyGraph, { graph: splitter([150, 4294967246]) }),
      ).rejects.toMatchObject({
        code: status.INVALID_ARGUMENT,
        details: expect.stringContaining('[splitter.weight_range]'),
      });
      const documents: [string, number, string][] = [
        [
          'name: w\nroot: ab\nnodes:\n  - { name: ab, splitter: { branches: [{ node: m, weight: 50.5 }, { node: m, weight: 49.5 }] } }\n  - { name: m, model: { modelName: iris } }',
          status.INVALID_ARGUMENT,
          'node "ab": nodes[0].splitter.branches[0].weight must be an integer from 0 to 4294967295 (uint32), got 50.5',
        ],
        [
          'name: two\nroot: m\nnodes: [{ name: m, model: { modelName: iris }, sequence: { steps: [{ node: m }] } }]',
          status.INVALID_ARGUMENT,
          'node "m": nodes[0] sets model and sequence; a node has exactly one kind',
        ],
        [
          'name: t\nroot: m\nnodes: [{ name: m, policy: { timeoutMs: fast }, model: { modelName: iris } }]',
          status.INVALID_ARGUMENT,
          'timeoutMs must be an integer',
        ],
        [
          [
            'a: &a [x, x, x, x, x, x, x, x, x]',
            ...'bcdefgh'
              .split('')
              .map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
          ].join('\n'),
          status.RESOURCE_EXHAUSTED,
          'YAML aliases',
        ],
        ['\u0007\u00ff\u0001 %%% ::: {{', status.INVALID_ARGUMENT, 'document: '],
        [
          `name: big\nroot: n0\nnodes:\n${Array.from({ length: 257 }, (_, i) => `  - { name: n${i}, model: { modelName: iris } }`).join('\n')}`,
          status.RESOURCE_EXHAUSTED,
          'at most 256 [graph.max_nodes]',
        ],
      ];
      for (const [text, code, fragment] of documents) {
        const error = await apply(text).catch((e: { code: number; details: string }) => e);
        expect(error, text.slice(0, 60)).toMatchObject({ code, details: expect.stringContaining(fragment) });
      }
      // Nothing above was stored; every other call still answers.
      const listed = await call(graphs, graphs.listGraphs, { pageSize: 100, pageToken: '' });
      expect(listed.graphs.map((g) => g.graph?.name)).not.toContain('bad-weights');
      const validated = await call(graphs, graphs.validateGraph, { graph: splitter([150, 4294967246]) });
      expect(validated.valid).toBe(false);

      // Bytes that are no ApplyGraphRequest at all: INVALID_ARGUMENT, not grpc-js's INTERNAL.
      const raw = new Client(router.grpcAddress, credentials.createInsecure());
      const send = (bytes: Buffer) =>
        new Promise<{ code: number; details: string }>((resolve) =>
          raw.makeUnaryRequest(
            '/sightline.router.v1.GraphService/ApplyGraph',
            (b: Buffer) => b,
            (b: Buffer) => b,
            bytes,
            new Metadata(),
            { deadline: Date.now() + 5000 },
            (error) =>
              resolve(error ? { code: error.code, details: error.details } : { code: 0, details: '' }),
          ),
        );
      expect(await send(Buffer.from([0x12, 0x05, 0x01]))).toEqual({
        code: status.INVALID_ARGUMENT,
        details: expect.stringMatching(/^ApplyGraphRequest: malformed protobuf: /),
      });
      let seed = 3;
      for (let i = 0; i < 20; i++) {
        const bytes = Buffer.from(
          Uint8Array.from({ length: 512 }, () => {
            seed = (seed * 1103515245 + 12345) % 2 ** 31;
            return seed >> 23;
          }),
        );
        const answer = await send(bytes);
        expect([status.INVALID_ARGUMENT, status.RESOURCE_EXHAUSTED]).toContain(answer.code);
      }
      raw.close();
    });

    it('applies, lists, gets, replaces and deletes graphs at runtime', async () => {
      const text = (description: string) => `
  name: runtime-iris
  description: ${description}
  root: m
  nodes: [{ name: m, model: { modelName: iris } }]
  `;
      const first = await apply(text('one'));
      expect(first.created).toBe(true);
      expect(first.graph?.generation).toBe(1n);
      const second = await apply(text('two'));
      expect(second).toMatchObject({
        created: false,
        graph: { generation: 2n, graph: { description: 'two' } },
      });
      const answer = await call(client, client.modelInfer, irisRequest('runtime-iris'));
      expect(answer.modelVersion).toBe('2');
      const listed = await call(graphs, graphs.listGraphs, { pageSize: 2, pageToken: '' });
      expect(listed.graphs.map((g) => g.graph?.name)).toEqual(['iris', 'iris-ensemble']);
      const rest = await call(graphs, graphs.listGraphs, { pageSize: 100, pageToken: listed.nextPageToken });
      expect(rest.graphs.map((g) => g.graph?.name)).toContain('runtime-iris');
      await call(graphs, graphs.deleteGraph, { name: 'runtime-iris' });
      await expect(call(graphs, graphs.getGraph, { name: 'runtime-iris' })).rejects.toMatchObject({
        code: status.NOT_FOUND,
      });
      await expect(call(graphs, graphs.deleteGraph, { name: 'runtime-iris' })).rejects.toMatchObject({
        code: status.NOT_FOUND,
      });
    });

    it('answers UNAVAILABLE naming the node after the retries when the upstream is down', async () => {
      const port = await closedPort();
      await apply(`
  name: down
  root: gone
  nodes:
    - name: gone
      policy: { retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 } }
      model: { address: "127.0.0.1:${port}", modelName: iris }
  `);
      const error = await call(client, client.modelInfer, irisRequest('down')).catch((e) => e);
      expect(error).toMatchObject({ code: status.UNAVAILABLE });
      expect(error.details).toMatch(
        new RegExp(`^node "gone" \\(model "iris" at 127.0.0.1:${port}\\): UNAVAILABLE after 3 attempts`),
      );
    });

    it('answers DEADLINE_EXCEEDED within the budget when an upstream hangs, without calling further', async () => {
      const hung = new Server();
      let hungCalls = 0;
      hung.addService(inference.GRPCInferenceServiceService, {
        modelInfer: () => {
          hungCalls += 1; // never answers
        },
      } as unknown as inference.GRPCInferenceServiceServer);
      const port = await new Promise<number>((resolve, reject) =>
        hung.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      try {
        await apply(`
  name: hung
  root: seq
  nodes:
    - name: seq
      sequence: { steps: [{ node: stuck }, { node: after }] }
    - name: stuck
      model: { address: "127.0.0.1:${port}", modelName: iris }
    - name: after
      model: { modelName: iris }
  `);
        const started = Date.now();
        const error = await call(client, client.modelInfer, irisRequest('hung'), { deadlineMs: 400 }).catch(
          (e) => e,
        );
        const elapsed = Date.now() - started;
        expect(error).toMatchObject({ code: status.DEADLINE_EXCEEDED });
        expect(elapsed).toBeLessThan(1000);
        expect(hungCalls).toBe(1);

        // Without a client deadline the graph's own budget applies.
        await apply(`
  name: hung-budget
  root: stuck
  timeoutMs: 300
  nodes: [{ name: stuck, model: { address: "127.0.0.1:${port}", modelName: iris } }]
  `);
        const t0 = Date.now();
        const budgetError = await call(client, client.modelInfer, irisRequest('hung-budget')).catch((e) => e);
        expect(budgetError).toMatchObject({ code: status.DEADLINE_EXCEEDED });
        expect(budgetError.details).toContain('node "stuck"');
        expect(Date.now() - t0).toBeLessThan(1000);
      } finally {
        hung.forceShutdown();
      }
    });

    it('calls an outlier detector synchronously and adds its verdict to the response', async () => {
      const detector = new Server();
      const seen: outlierV1.PredictRequest[] = [];
      detector.addService(outlierV1.OutlierServiceService, {
        predict: (
          c: { request: outlierV1.PredictRequest },
          cb: (e: null, r: outlierV1.PredictResponse) => void,
        ) => {
          seen.push(c.request);
          cb(null, {
            meta: {
              name: c.request.name,
              kind: 'IForest',
              detectorType: 'outlier',
              online: false,
              dataType: 'tabular',
              schemaVersion: 1,
              version: 1,
            },
            data: { isOutlier: [true], instanceScore: [0.75], threshold: 0.5, featureScore: [] },
          });
        },
      } as unknown as outlierV1.OutlierServiceServer);
      const port = await new Promise<number>((resolve, reject) =>
        detector.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
          e ? reject(e) : resolve(p),
        ),
      );
      try {
        await apply(`
  name: checked-iris
  root: seq
  nodes:
    - name: seq
      sequence: { steps: [{ node: od }, { node: iris }] }
    - name: od
      detector: { kind: outlier, address: "127.0.0.1:${port}", detector: iris-od, mode: sync, addVerdictToResponse: true }
    - name: iris
      model: { modelName: iris }
  `);
        const response = await call(
          client,
          client.modelInfer,
          irisRequest('checked-iris', [[5.1, 3.5, 1.4, 0.2]], 'req-od'),
        );
        expect(param(response, 'sightline.iris-od.is_outlier')).toBe(true);
        expect(param(response, 'sightline.iris-od.score')).toBe(0.75);
        expect(response.outputs[0]?.name).toBe('probabilities');
        expect(seen).toHaveLength(1);
        expect(seen[0]).toMatchObject({ name: 'iris-od', requestId: 'req-od' });
        expect(seen[0]!.data[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: [1n, 4n] });
      } finally {
        detector.forceShutdown();
      }
    });

    it('exports per-graph and per-node metrics', async () => {
      const response = await fetch(`http://127.0.0.1:${router.httpPort}/metrics`);
      const lines = (await response.text()).split('\n');
      const sample = (name: string, labels: Record<string, string>): number | undefined => {
        const line = lines.find(
          (l) =>
            l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)),
        );
        return line === undefined ? undefined : Number(line.split(' ').pop());
      };
      expect(
        sample('sightline_router_request_duration_seconds_count', { graph: 'iris', code: 'OK' }),
      ).toBeGreaterThan(0);
      expect(
        sample('sightline_router_node_duration_seconds_count', {
          graph: 'iris-ensemble',
          node: 'tfjs',
          kind: 'model',
        }),
      ).toBeGreaterThan(0);
      expect(
        sample('sightline_router_node_retries_total', { graph: 'down', node: 'gone', code: 'UNAVAILABLE' }),
      ).toBe(2);
      expect(
        sample('sightline_router_node_errors_total', {
          graph: 'hung-budget',
          node: 'stuck',
          code: 'DEADLINE_EXCEEDED',
        }),
      ).toBe(1);
      expect(sample('sightline_router_events_total', { sink: 'file', counter: 'emitted' })).toBeGreaterThan(
        0,
      );
    });
  });

  describe('router events', () => {
    it('logs one InferenceEvent per request in the file store, readable by request id', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'router-events-'));
      const own = await startTestRouter(dir);
      const c = inferenceClient(own.grpcAddress);
      try {
        await call(c, c.modelInfer, irisRequest('iris-sequence', [[5.1, 3.5, 1.4, 0.2]], 'event-1'));
        await call(c, c.modelInfer, irisRequest('no-such-graph', [[1, 2, 3, 4]], 'event-2')).catch(
          () => undefined,
        );
      } finally {
        c.close();
        await own.shutdown();
      }
      const store = await FileEventStore.open({
        directory: path.join(dir, 'events'),
        logger: silentEventLogger,
        retentionCheckIntervalMs: 0,
      });
      try {
        const [ok] = await store.findByRequestId('event-1');
        expect(ok).toMatchObject({
          requestId: 'event-1',
          source: 'router',
          graph: 'iris-sequence',
          nodePath: ['pipeline', 'first', 'second', 'third'],
          modelName: 'iris',
          statusCode: 'OK',
        });
        expect(ok!.inputs[0]).toMatchObject({ name: 'input', datatype: 'FP32', shape: [1, 4] });
        expect(ok!.outputs[0]).toMatchObject({ name: 'probabilities', shape: [1, 3] });
        expect(Object.keys(ok!.timings.nodeMs ?? {})).toEqual(
          expect.arrayContaining(['first', 'second', 'third']),
        );
        const [failed] = await store.findByRequestId('event-2');
        expect(failed).toMatchObject({ statusCode: 'NOT_FOUND', outputs: [] });
      } finally {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
