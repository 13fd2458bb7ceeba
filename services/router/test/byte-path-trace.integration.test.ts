/**
 * A traced router's byte path: its upstream call carries the active span's context on
 * either upstream client (`--upstream-client http2`, which injects it itself, and
 * `grpc-js`, whose interceptor does), so the upstream joins the request's trace under the
 * router's client span.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SpanKind } from '@opentelemetry/api';
import { inference } from '@sightline/contracts';
import { silentLogger } from '@sightline/service-kit/testing';
import { createTracing, InMemorySpanExporter, type Tracing } from '@sightline/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RouterHandle, startRouter } from '../src/router.js';
import { UPSTREAM_CLIENT_KINDS } from '../src/upstream/upstream-client-kind.js';
import { type FakeService, fakeRawInferenceEndpoint } from './helpers/fake-services.js';
import { forwardsRawRequest } from './helpers/forwarding.js';
import { testRouterConfig } from './helpers/router-config.js';
import { call, inferenceClient, param, rawIrisRequest } from './helpers/v2-calls.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let upstream: FakeService;
/** The traceparent of each call the upstream received. */
const seen: (string | undefined)[] = [];
const routers: RouterHandle[] = [];
const dirs: string[] = [];

const ANSWER = inference.ModelInferResponse.encode(
  inference.ModelInferResponse.fromPartial({
    modelName: 'iris',
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1n, 3n] }],
    rawOutputContents: [Buffer.from(new Float32Array([0.9, 0.07, 0.03]).buffer)],
  }),
).finish();

beforeAll(async () => {
  tracing = createTracing({ serviceName: 'router', exporter });
  upstream = await fakeRawInferenceEndpoint((c, done) => {
    seen.push(c.metadata.get('traceparent')[0]?.toString());
    done(null, Buffer.from(ANSWER));
  });
}, 30_000);

afterAll(async () => {
  for (const router of routers) await router.shutdown();
  upstream?.stop();
  await tracing?.shutdown();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function start(upstreamClient: string): Promise<RouterHandle> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'router-byte-trace-'));
  dirs.push(dataDir);
  const config = testRouterConfig({
    defaultModelServer: upstream.address,
    dataDir,
    events: 'false',
    upstreamClient,
  });
  const router = await startRouter(config, { logger: silentLogger(), tracing });
  routers.push(router);
  return router;
}

describe.each(UPSTREAM_CLIENT_KINDS)('traced byte path, upstream client %s', (upstreamClient) => {
  it("sends the router's client span as the upstream's parent, in the request's trace", async () => {
    const router = await start(upstreamClient);
    const client = inferenceClient(router.grpcAddress);
    exporter.reset();
    try {
      seen.length = 0;
      const answer = await call(client, client.modelInfer, rawIrisRequest('iris'));
      expect(forwardsRawRequest(router, 'iris')).toBe(true);
      const traceId = String(param(answer, 'sightline.trace_id'));
      expect(traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(seen).toHaveLength(1);
      const [, sentTrace, parentSpan] = String(seen[0]).split('-');
      expect(sentTrace).toBe(traceId);
      await tracing.forceFlush();
      const parent = exporter.getFinishedSpans().find((s) => s.spanContext().spanId === parentSpan);
      expect(parent?.kind).toBe(SpanKind.CLIENT);
      expect(parent?.spanContext().traceId).toBe(traceId);
    } finally {
      client.close();
    }
  });
});
