/**
 * The trace store over its real transports: OpenTelemetry's own OTLP exporters
 * (exporter-trace-otlp-proto and -http, the ones libs/telemetry uses) export to the
 * receiver, and a grpc-js client reads the traces back through TraceService.
 */
import { credentials, type ServiceError, status } from '@grpc/grpc-js';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { tracesV1 } from '@sightline/contracts';
import { createLogger } from '@sightline/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { traceStoreConfigSchema } from '../src/config.js';
import { startTraceStore, type TraceStoreHandle } from '../src/trace-store-service.js';

let handle: TraceStoreHandle;
let client: tracesV1.TraceServiceClient;

beforeAll(async () => {
  const config = traceStoreConfigSchema.parse({ grpcPort: 0, httpPort: 0, otlpPort: 0, maxTraces: 50 });
  handle = await startTraceStore(config, {
    logger: createLogger({ service: 'trace-store', level: 'silent' }),
  });
  client = new tracesV1.TraceServiceClient(handle.grpcAddress, credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await handle?.shutdown();
});

function call<Req, Res>(
  method: (request: Req, callback: (error: ServiceError | null, response: Res) => void) => unknown,
  request: Req,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    method.call(client, request, (error, response) => (error ? reject(error) : resolve(response))),
  );
}

const listTraces = (request: Partial<tracesV1.ListTracesRequest> = {}) =>
  call<tracesV1.ListTracesRequest, tracesV1.ListTracesResponse>(
    client.listTraces,
    tracesV1.ListTracesRequest.fromPartial(request),
  );
const getTrace = (traceId: string) =>
  call<tracesV1.GetTraceRequest, tracesV1.GetTraceResponse>(client.getTrace, { traceId });

/** Records a server span with a client child and an erroring grandchild, exported by `exporter`. */
async function exportTrace(exporter: SpanExporter, serviceName: string): Promise<string> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': serviceName }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('integration');
  const root = tracer.startSpan('inference.GRPCInferenceService/ModelInfer', { kind: SpanKind.SERVER });
  const rootContext = trace.setSpan(context.active(), root);
  const child = tracer.startSpan(
    'upstream call',
    { kind: SpanKind.CLIENT, attributes: { 'rpc.system': 'grpc' } },
    rootContext,
  );
  const grandchild = tracer.startSpan('model run', {}, trace.setSpan(rootContext, child));
  grandchild.addEvent('exception', { 'exception.message': 'boom' });
  grandchild.setStatus({ code: SpanStatusCode.ERROR, message: 'UNAVAILABLE: boom' });
  grandchild.end();
  child.end();
  root.end();
  await provider.forceFlush();
  await provider.shutdown();
  return root.spanContext().traceId;
}

describe.each([
  ['http/protobuf', (url: string) => new OtlpHttpProtoExporter({ url })],
  ['http/json', (url: string) => new OtlpHttpJsonExporter({ url })],
  ['http/protobuf, gzip', (url: string) => new OtlpHttpProtoExporter({ url, compression: 'gzip' as never })],
])('OpenTelemetry exporter %s', (protocol, makeExporter) => {
  it('exports a trace that GetTrace returns whole, with parent links, kinds, statuses and events', async () => {
    const service = `svc-${protocol.replace(/\W+/g, '-')}`;
    const traceId = await exportTrace(makeExporter(`${handle.otlpEndpoint}/v1/traces`), service);
    const { spans } = await getTrace(traceId);
    // Spans started in the same instant tie on start time: found by name, not by position.
    expect(spans.map((s) => s.name).sort()).toEqual([
      'inference.GRPCInferenceService/ModelInfer',
      'model run',
      'upstream call',
    ]);
    const named = (name: string) => spans.find((s) => s.name === name)!;
    const [root, child, grandchild] = [
      named('inference.GRPCInferenceService/ModelInfer'),
      named('upstream call'),
      named('model run'),
    ];
    expect(root).toMatchObject({
      parentSpanId: '',
      serviceName: service,
      kind: tracesV1.SpanKind.SPAN_KIND_SERVER,
    });
    expect(child).toMatchObject({
      parentSpanId: root.spanId,
      kind: tracesV1.SpanKind.SPAN_KIND_CLIENT,
      attributes: [{ key: 'rpc.system', value: 'grpc' }],
      scopeName: 'integration',
    });
    expect(grandchild).toMatchObject({
      parentSpanId: child.spanId,
      status: { code: tracesV1.SpanStatusCode.SPAN_STATUS_CODE_ERROR, message: 'UNAVAILABLE: boom' },
      events: [{ name: 'exception', attributes: [{ key: 'exception.message', value: 'boom' }] }],
    });
    expect(root.durationNanos).toBeGreaterThanOrEqual(grandchild.durationNanos);

    const listed = await listTraces({ service });
    expect(listed.traces).toEqual([
      expect.objectContaining({
        traceId,
        rootSpanName: 'inference.GRPCInferenceService/ModelInfer',
        rootServiceName: service,
        spanCount: 3,
        error: true,
        services: [service],
        rootMissing: false,
      }),
    ]);
  });
});

describe('TraceService', () => {
  it('lists newest first within the limit and counts what matched', async () => {
    const proto = () => new OtlpHttpProtoExporter({ url: `${handle.otlpEndpoint}/v1/traces` });
    const first = await exportTrace(proto(), 'listing');
    const second = await exportTrace(proto(), 'listing');
    const listed = await listTraces({ service: 'listing', limit: 1 });
    expect(listed.totalMatching).toBe(2);
    expect(listed.traces.map((t) => t.traceId)).toEqual([second]);
    expect((await listTraces({ service: 'listing', minDurationNanos: 10n ** 15n })).traces).toEqual([]);
    expect(listed.evictions).toMatchObject({ spansRejected: 0n });
    expect(first).not.toBe(second);
  });

  it.each([
    [
      'GetTrace of a short id',
      () => getTrace('abc'),
      status.INVALID_ARGUMENT,
      /^trace_id: expected 32 hex characters/,
    ],
    [
      'GetTrace of the zero id',
      () => getTrace('0'.repeat(32)),
      status.INVALID_ARGUMENT,
      /^trace_id: the all-zero/,
    ],
    [
      'GetTrace of an unknown trace',
      () => getTrace('ab'.repeat(16)),
      status.NOT_FOUND,
      /^trace_id: trace abab.* is not in the store/,
    ],
    [
      'ListTraces over the limit',
      () => listTraces({ limit: 1001 }),
      status.INVALID_ARGUMENT,
      /^limit: at most 1000, got 1001$/,
    ],
    [
      'ListTraces with a negative duration',
      () => listTraces({ minDurationNanos: -1n }),
      status.INVALID_ARGUMENT,
      /^min_duration_nanos: must be >= 0/,
    ],
  ])('%s is refused with the code and a sentence naming the field', async (_what, attempt, code, message) => {
    const error = (await attempt().catch((e: unknown) => e)) as ServiceError;
    expect(error.code).toBe(code);
    expect(error.details).toMatch(message);
  });

  it('serves health and sightline_trace_store_* series on its HTTP port', async () => {
    const base = `http://127.0.0.1:${handle.httpPort}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^sightline_trace_store_spans\{[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^sightline_trace_store_spans_received_total\{encoding="protobuf"[^}]*\} [1-9]/m);
    expect(metrics).toMatch(/^sightline_trace_store_spans_evicted_total\{reason="age"/m);
  });
});
