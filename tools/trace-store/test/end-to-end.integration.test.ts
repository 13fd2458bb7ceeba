/**
 * The whole path with no Jaeger: `sightline serve trace-store`, a model-server and a router
 * run as child processes, the two services exporting over OTLP http/protobuf to the store
 * (as `npm start` wires them). One routed request's answer carries its trace id; GetTrace
 * on that id returns the spans of both services with every parent link inside the trace.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { inference, tracesV1 } from '@sightline/contracts';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { renderWaterfall } from '../src/waterfall/index.js';
import { type ChildService, startChildService } from './helpers/child-service.js';

const SPAN_KIND = tracesV1.SpanKind;

let store: ChildService;
let modelServer: ChildService;
let router: ChildService;
let dataDir: string;

beforeAll(async () => {
  store = await startChildService('trace-store', ['--otlp-port', '0']);
  const otlpPort = store.logged('OTLP/HTTP receiver listening')?.otlpPort;
  const otel = {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  };
  modelServer = await startChildService('model-server', ['--repository', 'examples/models'], otel);
  dataDir = await mkdtemp(path.join(tmpdir(), 'trace-store-e2e-'));
  router = await startChildService('router', ['--graphs', 'examples/graphs', '--data-dir', dataDir], {
    ...otel,
    MODEL_SERVER_ADDRESS: modelServer.address,
  });
}, 180_000);

afterAll(async () => {
  await router?.stop();
  await modelServer?.stop();
  await store?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function unary<Req, Res>(client: object, method: (...args: never[]) => unknown, request: Req): Promise<Res> {
  return new Promise((resolve, reject) =>
    (method as (r: Req, m: Metadata, cb: (e: ServiceError | null, r: Res) => void) => void).call(
      client,
      request,
      new Metadata(),
      (error, response) => (error ? reject(error) : resolve(response)),
    ),
  );
}

it('a routed request leads by its trace id to the spans of the router and the model-server, linked', async () => {
  const v2 = new inference.GRPCInferenceServiceClient(router.address, credentials.createInsecure());
  const answer = await unary<inference.ModelInferRequest, inference.ModelInferResponse>(
    v2,
    v2.modelInfer,
    inference.ModelInferRequest.fromPartial({
      modelName: 'iris-sequence',
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [1n, 4n],
          contents: { fp32Contents: [5.1, 3.5, 1.4, 0.2] },
        },
      ],
    }),
  );
  v2.close();
  const traceId = answer.parameters['sightline.trace_id']?.stringParam ?? '';
  expect(traceId).toMatch(/^[0-9a-f]{32}$/);

  const traces = new tracesV1.TraceServiceClient(store.address, credentials.createInsecure());
  const get = () =>
    unary<tracesV1.GetTraceRequest, tracesV1.GetTraceResponse>(traces, traces.getTrace, { traceId });
  // Spans arrive when each service's batch processor exports (OTEL_BSP_SCHEDULE_DELAY): wait
  // for the router's root and the three model-server calls, or give up after 20 s.
  let spans: tracesV1.Span[] = [];
  const deadline = Date.now() + 20_000;
  const complete = () =>
    spans.some((s) => s.parentSpanId === '') &&
    spans.filter((s) => s.serviceName === 'sightline-model-server' && s.name.endsWith('/ModelInfer'))
      .length === 3;
  while (!complete() && Date.now() < deadline) {
    spans = await get().then(
      (r) => r.spans,
      (error: ServiceError) => {
        if (error.code !== 5) throw error;
        return [];
      },
    );
    if (!complete()) await new Promise((resolve) => setTimeout(resolve, 100));
  }

  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const roots = spans.filter((s) => s.parentSpanId === '');
  expect(roots).toEqual([
    expect.objectContaining({
      serviceName: 'sightline-router',
      name: 'inference.GRPCInferenceService/ModelInfer',
      kind: SPAN_KIND.SPAN_KIND_SERVER,
    }),
  ]);
  for (const span of spans) {
    if (span.parentSpanId) expect(byId.has(span.parentSpanId), `${span.serviceName} ${span.name}`).toBe(true);
  }
  const modelInfers = spans.filter(
    (s) => s.serviceName === 'sightline-model-server' && s.name.endsWith('/ModelInfer'),
  );
  expect(modelInfers).toHaveLength(3);
  for (const server of modelInfers) {
    expect(byId.get(server.parentSpanId)).toMatchObject({
      serviceName: 'sightline-router',
      kind: SPAN_KIND.SPAN_KIND_CLIENT,
    });
  }

  const listed = await unary<tracesV1.ListTracesRequest, tracesV1.ListTracesResponse>(
    traces,
    traces.listTraces,
    tracesV1.ListTracesRequest.fromPartial({ service: 'sightline-model-server' }),
  );
  expect(listed.traces.map((t) => t.traceId)).toContain(traceId);
  expect(listed.traces.find((t) => t.traceId === traceId)).toMatchObject({
    rootSpanName: 'inference.GRPCInferenceService/ModelInfer',
    rootServiceName: 'sightline-router',
    services: ['sightline-model-server', 'sightline-router'],
    error: false,
  });
  traces.close();

  const lines = renderWaterfall(
    spans.map((s) => ({
      ...s,
      status: s.status?.code === tracesV1.SpanStatusCode.SPAN_STATUS_CODE_ERROR ? 'error' : 'unset',
    })),
    { width: 120 },
  );
  expect(lines[0]).toMatch(new RegExp(`^${spans.length} spans · .* · 2 services$`));
  expect(lines[2]).toMatch(/^inference\.GRPCInferenceService\/ModelInfer +sightline-router /);
}, 60_000);
