/**
 * A router with tracing off records no spans and keeps no async context, yet passes the
 * caller's W3C trace context on: every upstream call carries the caller's `traceparent`,
 * `tracestate` and `baggage`, the answer carries the trace id, and the InferenceEvent the
 * trace context. A request without one gets a new trace context made by the router. The upstream is a V2 endpoint in this test that records what it received.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Server, ServerCredentials, type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { inference } from '@sightline/contracts';
import type { InferenceEvent } from '@sightline/events';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { forwardsRawRequest } from './helpers/forwarding.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, inferenceClient, irisRequest, param, rawIrisRequest } from './helpers/v2-calls.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

const seen: Record<string, string | undefined>[] = [];
const events: InferenceEvent[] = [];
let upstream: Server;
let router: RouterHandle;
let dataDir: string;

beforeAll(async () => {
  upstream = new Server();
  upstream.addService(inference.GRPCInferenceServiceService, {
    modelInfer: (
      c: ServerUnaryCall<inference.ModelInferRequest, inference.ModelInferResponse>,
      done: sendUnaryData<inference.ModelInferResponse>,
    ) => {
      const header = (key: string) => c.metadata.get(key)[0]?.toString();
      seen.push({
        traceparent: header('traceparent'),
        tracestate: header('tracestate'),
        baggage: header('baggage'),
      });
      done(
        null,
        inference.ModelInferResponse.fromPartial({
          modelName: c.request.modelName,
          outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1n, 3n] }],
          rawOutputContents: [Buffer.from(new Float32Array([0.9, 0.07, 0.03]).buffer)],
        }),
      );
    },
  } as never);
  const port = await new Promise<number>((resolve, reject) =>
    upstream.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  dataDir = await mkdtemp(path.join(tmpdir(), 'router-trace-forwarding-'));
  const config = testRouterConfig({
    defaultModelServer: `127.0.0.1:${port}`,
    dataDir,
  });
  // No tracing part: the router records no spans. Events are built as the pipeline would.
  router = await startRouter(config, {
    logger: silentLogger(),
    events: { emitDeferred: (e) => events.push(e.build()) },
  });
}, 60_000);

afterAll(async () => {
  await router?.shutdown();
  upstream?.forceShutdown();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

it('passes the caller trace context upstream and answers with its trace id, tracing off', async () => {
  const client = inferenceClient(router.grpcAddress);
  try {
    seen.length = 0;
    const traced = await call(client, client.modelInfer, irisRequest('iris', undefined, 'traced-1'), {
      headers: { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE', baggage: 'tenant=demo' },
    });
    expect(seen).toEqual([
      { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE', baggage: 'tenant=demo' },
    ]);
    expect(param(traced, 'sightline.trace_id')).toBe(TRACE_ID);

    // Forwarded bytes (raw contents, pass-through) carry the same headers.
    seen.length = 0;
    const rawTraced = await call(client, client.modelInfer, rawIrisRequest('iris'), {
      headers: { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE', baggage: 'tenant=demo' },
    });
    expect(forwardsRawRequest(router, 'iris')).toBe(true);
    expect(seen).toEqual([
      { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE', baggage: 'tenant=demo' },
    ]);
    expect(param(rawTraced, 'sightline.trace_id')).toBe(TRACE_ID);

    // No caller context: the router makes one, answers with its trace id and sends it upstream.
    seen.length = 0;
    const plain = await call(client, client.modelInfer, irisRequest('iris'));
    const made = String(param(plain, 'sightline.trace_id'));
    expect(made).toMatch(/^[0-9a-f]{32}$/);
    expect(seen).toEqual([
      {
        traceparent: expect.stringMatching(`^00-${made}-[0-9a-f]{16}-01$`),
        tracestate: undefined,
        baggage: undefined,
      },
    ]);

    // An invalid traceparent (all-zero trace id) is not passed on, as a propagator would not:
    // the request gets a new trace instead, without the caller's tracestate.
    seen.length = 0;
    await call(client, client.modelInfer, irisRequest('iris'), {
      headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`, tracestate: 'a=b' },
    });
    expect(seen).toEqual([
      { traceparent: expect.not.stringContaining('0'.repeat(32)), tracestate: undefined, baggage: undefined },
    ]);
  } finally {
    client.close();
  }
  const event = events.find((e) => e.requestId === 'traced-1');
  expect(event?.trace).toEqual({ traceparent: TRACEPARENT });
});
