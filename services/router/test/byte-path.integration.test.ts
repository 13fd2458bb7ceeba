/**
 * The byte path (docs/design/router-byte-path.md) against the decoded path: two routers in
 * front of the same real model-server, one forwarding eligible requests as bytes
 * (`--byte-path`, the default), one decoding everything, asked the same questions. Answers,
 * errors and the events they log must be the same; an upstream that sees the bytes shows
 * which path a request took.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { inference, type routerV1 } from '@sightline/contracts';
import type { DeferredInferenceEvent, InferenceEvent } from '@sightline/events';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { UPSTREAM_CLIENT_KINDS } from '../src/upstream/upstream-client-kind.js';
import { type ChildService, startChildService } from './helpers/child-service.js';
import { closedPort } from './helpers/closed-port.js';
import { type FakeService, fakeRawInferenceService } from './helpers/fake-services.js';
import { forwardsRawRequest } from './helpers/forwarding.js';
import { oneHopGraphsDir } from './helpers/one-hop-graphs.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, graphClient, inferenceClient, irisRequest, rawIrisRequest } from './helpers/v2-calls.js';

interface TestRouter {
  readonly handle: RouterHandle;
  readonly client: inference.GRPCInferenceServiceClient;
  readonly events: DeferredInferenceEvent[];
}

let modelServer: ChildService;
let fake: FakeService;
let downPort: number;
let bytes: TestRouter;
/** The byte path with its upstream calls on each other client (`--upstream-client grpc-js`, `connect`). */
let bytesOn: TestRouter[] = [];
const OTHER_CLIENTS = UPSTREAM_CLIENT_KINDS.filter((kind) => kind !== 'http2');
let decoded: TestRouter;
const dirs: string[] = [];
/** What the fake upstream received, and how it answers next. */
const fakeSeen: Buffer[] = [];
let fakeAnswer: () => Buffer = () => Buffer.alloc(0);

const ONE_HOP = (name: string) => `
name: ${name}
root: hop1
nodes:
  - name: hop1
    model:
      modelName: iris
      declaredInputs: [{ name: input, datatype: FP32, shape: [-1, 4] }]
      declaredOutputs: [{ name: probabilities, datatype: FP32, shape: [-1, 3] }]
`;

async function startTestRouter(bytePath: boolean, upstreamClient = 'http2'): Promise<TestRouter> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'router-byte-path-'));
  dirs.push(dataDir);
  const config = testRouterConfig({
    graphs: oneHopGraphsDir(),
    defaultModelServer: modelServer.address,
    dataDir,
    bytePath: String(bytePath),
    upstreamClient,
  });
  const events: DeferredInferenceEvent[] = [];
  const handle = await startRouter(config, {
    logger: silentLogger(),
    env: { MODEL_SERVER_ADDRESS: modelServer.address },
    events: { emitDeferred: (event) => events.push(event) },
  });
  const graphs = graphClient(handle.grpcAddress);
  const apply = (text: string): Promise<routerV1.ApplyGraphResponse> =>
    call(graphs, graphs.applyGraph, { document: { format: 0, text } });
  await apply(ONE_HOP('one-hop'));
  await apply(`
name: down
root: m
nodes:
  - name: m
    model: { address: "127.0.0.1:${downPort}", modelName: iris }
`);
  await apply(`
name: fake
root: m
nodes:
  - name: m
    model: { address: "${fake.address}", modelName: fake-model, modelVersion: "7" }
`);
  await apply(`
name: with-parameters
root: m
nodes:
  - name: m
    model: { modelName: iris, parameters: { tag: "x" } }
`);
  graphs.close();
  return { handle, client: inferenceClient(handle.grpcAddress), events };
}

beforeAll(async () => {
  modelServer = await startChildService('model-server', ['--repository', 'examples/models']);
  downPort = await closedPort();
  fake = await fakeRawInferenceService(async (request) => {
    fakeSeen.push(Buffer.from(request));
    return fakeAnswer();
  });
  [bytes, decoded, ...bytesOn] = await Promise.all([
    startTestRouter(true),
    startTestRouter(false),
    ...OTHER_CLIENTS.map((kind) => startTestRouter(true, kind)),
  ]);
}, 90_000);

afterAll(async () => {
  for (const r of [bytes, decoded, ...bytesOn]) {
    r?.client.close();
    await r?.handle.shutdown();
  }
  fake?.stop();
  await modelServer?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

type Outcome =
  | { ok: true; response: inference.ModelInferResponse }
  | { ok: false; code: number | undefined; details: string | undefined };

/** Sends encoded request bytes; the answer decoded, or the error's status. */
function send(
  router: TestRouter,
  request: Uint8Array,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(headers)) metadata.set(k, v);
  return new Promise((resolve) => {
    (router.client as Client).makeUnaryRequest(
      inference.GRPCInferenceServiceService.modelInfer.path,
      (b: Buffer) => b,
      (b: Buffer) => b,
      Buffer.from(request),
      metadata,
      { deadline: new Date(Date.now() + 10_000) },
      (error: ServiceError | null, answer?: Buffer) =>
        resolve(
          error
            ? { ok: false, code: error.code, details: error.details }
            : { ok: true, response: inference.ModelInferResponse.decode(answer!) },
        ),
    );
  });
}

/** A trace context the router made for a request that came without one: random on each router. */
const MADE_TRACE = '<made by the router>';

/** The fields of an event that do not depend on time or random ids. */
function deterministic(event: InferenceEvent, withRequestId: boolean, callerTraced: boolean) {
  const { eventId: _e, timeUnixMs: _t, timings, requestId, errorMessage, ...rest } = event;
  const made = (value: unknown) => (value === undefined ? undefined : MADE_TRACE);
  return {
    ...rest,
    ...(callerTraced
      ? {}
      : {
          trace: made(event.trace?.traceparent),
          responseParameters: {
            ...event.responseParameters,
            'sightline.trace_id': made(event.responseParameters['sightline.trace_id']),
          },
        }),
    errorMessage: errorMessage?.replace(/Last error: .*$/, 'Last error: ...'),
    nodeMs: Object.keys(timings?.nodeMs ?? {}),
    ...(withRequestId ? { requestId } : {}),
  };
}

/**
 * grpc-js words a refused connection by timing ("Last error: null" or "ECONNREFUSED"), on
 * either path alike; that part is left out of comparisons.
 */
/** A request without an id is answered with the one the router assigned (a UUID), different per call. */
const ASSIGNED_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function comparable(outcome: Outcome, callerTraced: boolean): Outcome {
  if (outcome.ok) {
    const id = ASSIGNED_ID.test(outcome.response.id) ? 'assigned' : outcome.response.id;
    const traceId = outcome.response.parameters['sightline.trace_id'];
    if (callerTraced || traceId === undefined) return { ok: true, response: { ...outcome.response, id } };
    expect(traceId.stringParam).toMatch(/^[0-9a-f]{32}$/);
    const parameters = { ...outcome.response.parameters, 'sightline.trace_id': { stringParam: MADE_TRACE } };
    return { ok: true, response: { ...outcome.response, id, parameters } };
  }
  if (outcome.details === undefined) return outcome;
  return { ...outcome, details: outcome.details.replace(/Last error: .*$/, 'Last error: ...') };
}

/**
 * Asks every router (byte path on each upstream client, then decoded); expects the same
 * outcome and the same event, and returns the outcome.
 */
async function same(
  request: inference.ModelInferRequest | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Outcome> {
  const encoded =
    request instanceof Uint8Array ? request : inference.ModelInferRequest.encode(request).finish();
  const counts = [bytes.events.length, decoded.events.length, ...bytesOn.map((r) => r.events.length)];
  const viaBytes = await send(bytes, encoded, headers);
  const viaDecoded = await send(decoded, encoded, headers);
  const callerTraced = headers.traceparent !== undefined;
  expect(comparable(viaBytes, callerTraced)).toEqual(comparable(viaDecoded, callerTraced));
  for (const [i, router] of bytesOn.entries()) {
    const via = await send(router, encoded, headers);
    expect(comparable(via, callerTraced), OTHER_CLIENTS[i]).toEqual(comparable(viaDecoded, callerTraced));
  }
  const newBytes = bytes.events.slice(counts[0]);
  const newDecoded = decoded.events.slice(counts[1]);
  expect(newBytes).toHaveLength(newDecoded.length);
  const withId = inference.ModelInferRequest.decode(encoded).id !== '';
  const expected = newDecoded.map((e) => deterministic(e.build(), withId, callerTraced));
  expect(newBytes.map((e) => deterministic(e.build(), withId, callerTraced))).toEqual(expected);
  for (const [i, router] of bytesOn.entries()) {
    const events = router.events.slice(counts[2 + i]);
    expect(
      events.map((e) => deterministic(e.build(), withId, callerTraced)),
      OTHER_CLIENTS[i],
    ).toEqual(expected);
  }
  return viaBytes;
}

function raw(model: string, rows: number[][], extra: Partial<inference.ModelInferRequest> = {}) {
  return inference.ModelInferRequest.fromPartial({ ...rawIrisRequest(model, rows), ...extra });
}

const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.0, 5.2, 2.3],
];

describe('byte path and decoded path', () => {
  it('answer a graph with declared inputs the same: tensors, name, generation, id and parameters', async () => {
    const outcome = await same(raw('one-hop', ROWS, { id: 'req-1' }));
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    expect(outcome.response.modelName).toBe('one-hop');
    expect(outcome.response.modelVersion).toBe('1');
    expect(outcome.response.id).toBe('req-1');
    expect(outcome.response.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['probabilities', 'FP32', [2n, 3n]],
    ]);
    expect(outcome.response.rawOutputContents[0]).toHaveLength(2 * 3 * 4);
    expect(Object.keys(outcome.response.parameters).sort()).toEqual(['sightline.path', 'sightline.trace_id']);
    expect(outcome.response.parameters['sightline.path']?.stringParam).toBe('hop1');
    // Which graphs the byte path takes (decided when a graph is compiled), and that off means off.
    const plane = bytes.handle;
    expect(['one-hop', 'iris', 'iris-tfjs', 'fake'].map((g) => forwardsRawRequest(plane, g))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(
      ['with-parameters', 'iris-ensemble', 'iris-sequence', 'nope', ''].map((g) =>
        forwardsRawRequest(plane, g),
      ),
    ).toEqual([false, false, false, true, false]);
    expect(forwardsRawRequest(decoded.handle, 'one-hop')).toBe(false);
  });

  it('answer the same without an id, with request parameters, and with the caller trace id', async () => {
    await same(raw('one-hop', ROWS));
    await same(
      raw('one-hop', ROWS, {
        id: 'req-2',
        parameters: { n: { int64Param: 3n }, big: { uint64Param: 2n ** 63n }, s: { stringParam: 'x' } },
      }),
    );
    const traced = await same(raw('iris', ROWS, { id: 'req-3' }), {
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    expect(traced.ok && traced.response.parameters['sightline.trace_id']?.stringParam).toBe(
      '0af7651916cd43dd8448eb211c80319c',
    );
  });

  it('answer pass-through of a model name the same', async () => {
    const outcome = await same(raw('iris-tfjs', ROWS, { id: 'req-4' }));
    expect(outcome.ok && outcome.response.modelName).toBe('iris-tfjs');
  });

  it('answer requests the byte path leaves to the decoded path the same', async () => {
    await same(irisRequest('one-hop', ROWS, 'typed'));
    await same(raw('one-hop', ROWS, { outputs: [{ name: 'probabilities', parameters: {} }] }));
    await same(raw('one-hop', ROWS, { outputs: [{ name: 'nope', parameters: {} }] }));
    await same(raw('with-parameters', ROWS, { id: 'req-5' }));
    await same(raw('iris-ensemble', ROWS, { id: 'req-6' }));
  });

  it('fail the same: unknown graph, bad tensor headers, a wrong input, an upstream down', async () => {
    const notFound = await same(raw('nope', ROWS));
    expect(notFound).toMatchObject({ ok: false, code: status.NOT_FOUND });
    const unknownType = await same(
      raw('one-hop', ROWS, {
        inputs: [{ name: 'input', datatype: 'FLOAT', shape: [2n, 4n], parameters: {} }],
      }),
    );
    expect(unknownType).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
    const rawCount = await same(
      raw('one-hop', ROWS, {
        inputs: [
          { name: 'a', datatype: 'FP32', shape: [2n, 4n], parameters: {} },
          { name: 'b', datatype: 'FP32', shape: [2n, 4n], parameters: {} },
        ],
      }),
    );
    expect(rawCount).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
    const badParameter = await same(raw('one-hop', ROWS, { parameters: { empty: {} } }));
    expect(badParameter).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
    // An own "__proto__" key is written by encode; decoding would drop it, so it is refused.
    const protoParameter = raw('one-hop', ROWS);
    protoParameter.parameters = JSON.parse('{"__proto__": {"stringParam": "v"}}');
    const reservedName = await same(protoParameter);
    expect(reservedName).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
    expect(!reservedName.ok && reservedName.details).toMatch(
      /^parameter "__proto__": this name is not accepted/,
    );
    // Five columns against the model's four: the model-server's INVALID_ARGUMENT, passed on.
    const wrongInput = await same(raw('one-hop', [[1, 2, 3, 4, 5]]));
    expect(wrongInput).toMatchObject({ ok: false, code: status.INVALID_ARGUMENT });
    expect(!wrongInput.ok && wrongInput.details).toMatch(
      /node "hop1" \(model "iris" at .*\): INVALID_ARGUMENT/,
    );
    const down = await same(raw('down', ROWS, { id: 'req-7' }));
    expect(down).toMatchObject({ ok: false, code: status.UNAVAILABLE });
  });

  it('forwards the caller bytes on the byte path only, and passes the upstream answer on re-addressed', async () => {
    const answer = inference.ModelInferResponse.fromPartial({
      modelName: 'fake-model',
      modelVersion: '7',
      id: 'whatever',
      outputs: [{ name: 'y', datatype: 'INT32', shape: [1n, 2n] }],
      rawOutputContents: [Buffer.from(Int32Array.from([1, 2]).buffer)],
    });
    fakeAnswer = () => Buffer.from(inference.ModelInferResponse.encode(answer).finish());
    const request = inference.ModelInferRequest.encode(raw('fake', ROWS, { id: 'req-8' })).finish();
    // Field 15 (varint 1): unknown to the contract, kept by forwarded bytes, dropped by a decode.
    const withUnknown = Buffer.concat([request, Buffer.from([0x78, 0x01])]);
    fakeSeen.length = 0;
    const outcome = await same(withUnknown);
    expect(outcome.ok && outcome.response).toMatchObject({
      modelName: 'fake',
      modelVersion: '1',
      id: 'req-8',
    });
    const [viaBytes, viaDecoded, viaGrpcJs] = fakeSeen;
    expect(viaBytes!.subarray(0, withUnknown.length).equals(withUnknown)).toBe(true);
    expect(viaGrpcJs!.equals(viaBytes!)).toBe(true);
    expect(viaDecoded!.includes(Buffer.from([0x78, 0x01]))).toBe(false);
    for (const seen of fakeSeen) {
      expect(inference.ModelInferRequest.decode(seen)).toMatchObject({
        modelName: 'fake-model',
        modelVersion: '7',
        id: 'req-8',
      });
    }
  });

  it('re-encodes an upstream answer with parameters or typed contents as the decoded path does', async () => {
    const answer = inference.ModelInferResponse.fromPartial({
      modelName: 'fake-model',
      parameters: { upstream: { stringParam: 'dropped' } },
      outputs: [
        { name: 'y', datatype: 'INT32', shape: [2n], contents: { intContents: [3, 4] } },
        {
          name: 'z',
          datatype: 'FP32',
          shape: [1n],
          parameters: { u: { uint64Param: 5n } },
          contents: { fp32Contents: [1] },
        },
      ],
    });
    fakeAnswer = () => Buffer.from(inference.ModelInferResponse.encode(answer).finish());
    const outcome = await same(raw('fake', ROWS, { id: 'req-9' }));
    expect(outcome.ok && Object.keys(outcome.response.parameters).sort()).toEqual([
      'sightline.path',
      'sightline.trace_id',
    ]);
    expect(outcome.ok && outcome.response.rawOutputContents).toHaveLength(2);
  });

  it('pass upstream errors and unreadable upstream answers on the same way', async () => {
    fakeAnswer = () => Buffer.from([0x0a, 0x05, 0x61]);
    const unreadable = await same(raw('fake', ROWS, { id: 'req-10' }));
    expect(unreadable).toMatchObject({ ok: false, code: status.INTERNAL });
    expect(!unreadable.ok && unreadable.details).toMatch(/Response message parsing error: premature EOF/);
    fakeAnswer = () => {
      throw Object.assign(new Error('queue full'), {
        code: status.RESOURCE_EXHAUSTED,
        details: 'queue full',
      });
    };
    const refused = await same(raw('fake', ROWS, { id: 'req-11' }));
    expect(refused).toMatchObject({ ok: false, code: status.RESOURCE_EXHAUSTED });
    expect(!refused.ok && refused.details).toMatch(/queue full/);
  });

  it('never decodes a request whole, and encodes only the upstream requests and answers it cannot forward', async () => {
    const spies = [
      vi.spyOn(inference.ModelInferRequest, 'decode'),
      vi.spyOn(inference.ModelInferRequest, 'encode'),
      vi.spyOn(inference.ModelInferResponse, 'encode'),
    ];
    /** [request decodes, request encodes, answer encodes] while `request` is answered by the byte-path router. */
    const protobufWork = async (request: inference.ModelInferRequest) => {
      const encoded = inference.ModelInferRequest.encode(request).finish();
      for (const spy of spies) spy.mockClear();
      const outcome = await send(bytes, encoded);
      expect(outcome.ok).toBe(true);
      return spies.map((spy) => spy.mock.calls.length);
    };
    try {
      // Forwarded: the caller's bytes go upstream, the upstream's bytes come back.
      expect(await protobufWork(raw('one-hop', ROWS))).toEqual([0, 0, 0]);
      // Typed contents fall off the rule: one upstream request and the answer are encoded.
      expect(await protobufWork(irisRequest('one-hop', ROWS, 'typed'))).toEqual([0, 1, 1]);
      // A requested output falls off too (it is selected from the answer).
      expect(
        await protobufWork(raw('one-hop', ROWS, { outputs: [{ name: 'probabilities', parameters: {} }] })),
      ).toEqual([0, 1, 1]);
      // A raw request whose root is a sequence: each of its three model calls is encoded.
      expect(await protobufWork(raw('iris-sequence', ROWS))).toEqual([0, 3, 1]);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('answer ModelStreamInfer messages as ModelInfer, forwarded or encoded', async () => {
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    for (const request of [
      raw('one-hop', ROWS, { id: 'req-s1' }),
      irisRequest('iris-sequence', ROWS, 'typed'),
    ]) {
      const unary = await same(request, { traceparent });
      expect(unary.ok).toBe(true);
      for (const router of [bytes, decoded]) {
        const metadata = new Metadata();
        metadata.set('traceparent', traceparent);
        const stream = router.client.modelStreamInfer(metadata);
        const answered = new Promise<inference.ModelStreamInferResponse>((resolve, reject) => {
          stream.on('data', resolve);
          stream.on('error', reject);
        });
        stream.write(request);
        const message = await answered;
        stream.end();
        expect(message.errorMessage).toBe('');
        expect(unary.ok && message.inferResponse).toEqual(unary.ok && unary.response);
      }
    }
  });

  it('refuses malformed request bytes on the byte path with INVALID_ARGUMENT and keeps serving', async () => {
    const truncated = inference.ModelInferRequest.encode(raw('one-hop', ROWS)).finish().subarray(0, 20);
    expect(await send(bytes, truncated)).toEqual({
      ok: false,
      code: status.INVALID_ARGUMENT,
      details: 'ModelInferRequest: malformed protobuf: premature EOF',
    });
    expect((await send(decoded, truncated)).ok).toBe(false);
    expect((await send(bytes, inference.ModelInferRequest.encode(raw('one-hop', ROWS)).finish())).ok).toBe(
      true,
    );
  });
});
