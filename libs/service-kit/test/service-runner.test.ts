/**
 * The kit end to end: a real grpc-js server on an ephemeral loopback port, called by the
 * generated client, with health, reflection, /metrics, /readyz, error mapping, trace
 * context and graceful shutdown checked from the outside.
 */
import {
  type ChannelCredentials,
  type Client,
  type ClientDuplexStream,
  credentials,
  loadPackageDefinition,
  Metadata,
  type ServiceError,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { inference } from '@sightline/contracts';
import { DeadlineExceededError, InvalidArgumentError } from '@sightline/errors';
import { createMetricsRegistry, createTracing, type Tracing } from '@sightline/telemetry';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_COALESCED_CALLS,
  type CallKit,
  COALESCED_TRACEPARENTS_KEY,
  GrpcServerMetrics,
  LOGGED_ERROR_TEXT_MAX_LENGTH,
  loadConfig,
  type RunningService,
  runService,
  STATUS_MESSAGE_MAX_LENGTH,
  serverConfigSchema,
  unary,
} from '../src/index.js';
import { memoryLogger } from '../src/testing/index.js';

type UnaryFn = (request: object, callback: (error: ServiceError | null, response: unknown) => void) => void;

const abortReasons: unknown[] = [];

const METHOD = 'inference.GRPCInferenceService/ModelInfer';

interface Harness {
  service: RunningService;
  client: InstanceType<typeof inference.GRPCInferenceServiceClient>;
  tracing: Tracing;
  exporter: InMemorySpanExporter;
  logs: Record<string, unknown>[];
  httpBase: string;
  releaseSlow: () => void;
}

async function startHarness(): Promise<Harness> {
  const config = loadConfig(serverConfigSchema({ grpcPort: 0, httpPort: 0 }), {
    flags: { host: '127.0.0.1', shutdownGraceMs: '5000' },
  });
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ serviceName: 'kit-test', exporter, env: {} });
  const registry = createMetricsRegistry({ serviceName: 'kit-test', collectDefaults: false });
  const { logger, lines } = memoryLogger('info');
  const kit: CallKit = { tracer: tracing.tracer, logger, metrics: new GrpcServerMetrics(registry) };
  let releaseSlow = () => {};
  const slowGate = new Promise<void>((resolve) => {
    releaseSlow = resolve;
  });

  const service = await runService({
    name: 'kit-test',
    config,
    logger,
    registry,
    tracing,
    protoFiles: ['inference/grpc_service.proto'],
    serviceNames: ['inference.GRPCInferenceService'],
    register(server) {
      const notImplemented = (_call: unknown, callback: sendUnaryData<unknown>) =>
        callback({ code: status.UNIMPLEMENTED, details: 'not in this test' });
      server.addService(inference.GRPCInferenceServiceService, {
        serverLive: unary(kit, 'inference.GRPCInferenceService/ServerLive', async () => ({ live: true })),
        serverReady: notImplemented,
        modelReady: notImplemented,
        serverMetadata: notImplemented,
        modelMetadata: notImplemented,
        modelStreamInfer: (call: { end(): void }) => call.end(),
        modelStatistics: notImplemented,
        repositoryIndex: notImplemented,
        repositoryModelLoad: notImplemented,
        repositoryModelUnload: notImplemented,
        modelInfer: unary(kit, METHOD, async (request: inference.ModelInferRequest, call) => {
          if (request.modelName === 'bad')
            throw new InvalidArgumentError('input "x": expected FP32, got INT8');
          if (request.modelName === 'bug') throw new Error('null pointer in /secret/path');
          if (request.modelName === 'huge')
            throw new InvalidArgumentError(`input ${'x'.repeat(1024 * 1024)}: expected FP32`);
          if (request.modelName === 'huge-bug') throw new Error(`bug ${'y'.repeat(1024 * 1024)}`);
          if (request.modelName === 'slow') await slowGate;
          if (request.modelName === 'read-signal-late') {
            // Reads the signal only after the deadline passed: it is built on first use,
            // and must then already be aborted, with the reason.
            await new Promise((r) => setTimeout(r, 400));
            abortReasons.push(call.signal.aborted ? call.signal.reason : 'not aborted');
          }
          if (request.modelName === 'wait-for-cancel') {
            abortReasons.push(await new Promise<Error>((resolve) => call.onCancel(resolve)));
            abortReasons.push(call.cancelReason);
          }
          if (request.modelName === 'wait-for-abort') {
            abortReasons.push(
              await new Promise<unknown>((resolve) =>
                call.signal.addEventListener('abort', () => resolve(call.signal.reason), { once: true }),
              ),
            );
          }
          return inference.ModelInferResponse.fromPartial({ modelName: request.modelName, id: request.id });
        }),
      });
    },
  });
  const client = new inference.GRPCInferenceServiceClient(service.grpcAddress, credentials.createInsecure());
  return {
    service,
    client,
    tracing,
    exporter,
    logs: lines,
    httpBase: `http://127.0.0.1:${service.httpPort}`,
    releaseSlow,
  };
}

function infer(
  h: Harness,
  modelName: string,
  metadata = new Metadata(),
): Promise<inference.ModelInferResponse> {
  return new Promise((resolve, reject) => {
    h.client.modelInfer(
      inference.ModelInferRequest.fromPartial({ modelName, id: 'req-1' }),
      metadata,
      { deadline: Date.now() + 10_000 },
      (error, response) => (error ? reject(error) : resolve(response!)),
    );
  });
}

describe('runService', () => {
  let h: Harness;
  beforeEach(async () => {
    abortReasons.length = 0;
    h = await startHarness();
  });
  afterEach(async () => {
    h.releaseSlow();
    h.client.close();
    await h.service.shutdown('test over');
  });

  it('answers calls and maps domain errors to statuses with their sentence', async () => {
    await expect(infer(h, 'ok')).resolves.toMatchObject({ modelName: 'ok', id: 'req-1' });
    await expect(infer(h, 'bad')).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: 'input "x": expected FP32, got INT8',
    });
    const bug = (await infer(h, 'bug').catch((e: ServiceError) => e)) as ServiceError;
    expect(bug.code).toBe(status.INTERNAL);
    expect(bug.details).not.toContain('/secret/path');
    const logged = h.logs.find((l) => l.msg === 'call failed unexpectedly');
    expect(JSON.stringify(logged)).toContain('/secret/path');
  });

  it('answers a 1 MB error message promptly, capped, and logs a bounded line', async () => {
    const started = Date.now();
    const error = (await infer(h, 'huge').catch((e: ServiceError) => e)) as ServiceError;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.code).toBe(status.INVALID_ARGUMENT);
    expect(error.details).toBe(
      `input ${'x'.repeat(STATUS_MESSAGE_MAX_LENGTH - 6)}… (${1024 * 1024 + 21 - STATUS_MESSAGE_MAX_LENGTH} more characters)`,
    );
    await infer(h, 'huge-bug').catch(() => {});
    const lines = h.logs.filter((l) => l.msg === 'call failed' || l.msg === 'call failed unexpectedly');
    expect(lines).toHaveLength(2);
    for (const line of lines)
      expect(JSON.stringify(line).length).toBeLessThan(3 * LOGGED_ERROR_TEXT_MAX_LENGTH);
    // The connection still serves.
    await expect(infer(h, 'ok')).resolves.toMatchObject({ modelName: 'ok' });
  });

  it('exports the standard gRPC metrics on /metrics and reports ready on /readyz', async () => {
    await infer(h, 'ok');
    await infer(h, 'bad').catch(() => {});
    const metrics = await (await fetch(`${h.httpBase}/metrics`)).text();
    expect(metrics).toContain(
      'grpc_server_handled_total{grpc_service="inference.GRPCInferenceService",grpc_method="ModelInfer",grpc_type="unary",grpc_code="OK",service="kit-test"} 1',
    );
    expect(metrics).toContain('grpc_code="INVALID_ARGUMENT"');
    expect(metrics).toContain('grpc_server_handling_seconds_bucket');
    expect((await fetch(`${h.httpBase}/readyz`)).status).toBe(200);
    expect((await fetch(`${h.httpBase}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.httpBase}/nope`)).status).toBe(404);
  });

  it('serves grpc.health.v1 and server reflection', async () => {
    const healthPkg = loadPackageDefinition(loadSync(healthProtoPath, { enums: String })) as unknown as {
      grpc: {
        health: { v1: { Health: new (a: string, c: ChannelCredentials) => Client & { check: UnaryFn } } };
      };
    };
    const healthClient = new healthPkg.grpc.health.v1.Health(
      h.service.grpcAddress,
      credentials.createInsecure(),
    );
    const serving = await new Promise((resolve, reject) =>
      healthClient.check({ service: 'inference.GRPCInferenceService' }, (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    expect(serving).toEqual({ status: 'SERVING' });
    healthClient.close();

    const reflectionProto = new URL(
      '../../../node_modules/@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto',
      import.meta.url,
    ).pathname;
    const reflectionPkg = loadPackageDefinition(loadSync(reflectionProto)) as unknown as {
      grpc: {
        reflection: {
          v1: {
            ServerReflection: new (
              a: string,
              c: ChannelCredentials,
            ) => Client & { serverReflectionInfo: () => ClientDuplexStream<object, unknown> };
          };
        };
      };
    };
    const reflection = new reflectionPkg.grpc.reflection.v1.ServerReflection(
      h.service.grpcAddress,
      credentials.createInsecure(),
    );
    const stream = reflection.serverReflectionInfo();
    const answer = new Promise<{ listServicesResponse: { service: { name: string }[] } }>(
      (resolve, reject) => {
        stream.on('data', resolve);
        stream.on('error', reject);
      },
    );
    stream.write({ listServices: '' });
    const names = (await answer).listServicesResponse.service.map((s) => s.name);
    stream.end();
    reflection.close();
    expect(names).toContain('inference.GRPCInferenceService');
    // grpcurl calls the health service by reflection too.
    expect(names).toContain('grpc.health.v1.Health');
  });

  it('continues the caller trace: the server span is a child of the incoming traceparent', async () => {
    const metadata = new Metadata();
    metadata.set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
    await infer(h, 'ok', metadata);
    const span = h.exporter.getFinishedSpans().find((s) => s.name === METHOD)!;
    expect(span.spanContext().traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(span.attributes['rpc.system']).toBe('grpc');
    expect(span.attributes['rpc.grpc.status_code']).toBe(0);
  });

  it("records a coalesced call in every caller's trace: a span per extra traceparent, linked, same status", async () => {
    const primary = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const others = [
      '00-11111111111111111111111111111111-2222222222222222-01',
      '00-33333333333333333333333333333333-4444444444444444-01',
    ];
    const metadata = new Metadata();
    metadata.set('traceparent', primary);
    metadata.set(COALESCED_TRACEPARENTS_KEY, others.join(','));
    await infer(h, 'bad', metadata).catch(() => undefined);
    const spans = h.exporter.getFinishedSpans().filter((s) => s.name === METHOD);
    expect(spans.map((s) => s.spanContext().traceId).sort()).toEqual([
      '11111111111111111111111111111111',
      '33333333333333333333333333333333',
      '4bf92f3577b34da6a3ce929d0e0e4736',
    ]);
    const own = spans.find((s) => s.spanContext().traceId === '4bf92f3577b34da6a3ce929d0e0e4736')!;
    for (const span of spans) {
      expect(span.attributes[ATTR_COALESCED_CALLS]).toBe(3);
      expect(span.attributes['rpc.grpc.status_code']).toBe(status.INVALID_ARGUMENT);
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      if (span === own) continue;
      expect(span.links.map((l) => l.context.spanId)).toEqual([own.spanContext().spanId]);
      const parent = others.find((o) => o.includes(span.spanContext().traceId))!;
      expect(span.parentSpanContext?.spanId).toBe(parent.split('-')[2]);
    }
  });

  it("starts a span only per valid, distinct traceparent other than the call's own: no new traces, no repeats", async () => {
    const primary = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const other = '00-11111111111111111111111111111111-2222222222222222-01';
    const hostile = [
      'x1',
      'not-a-traceparent',
      '00-00000000000000000000000000000000-2222222222222222-01',
      other,
      other,
      primary,
      ...Array.from({ length: 50 }, () => other),
    ];
    const metadata = new Metadata();
    metadata.set('traceparent', primary);
    metadata.set(COALESCED_TRACEPARENTS_KEY, hostile.join(','));
    await infer(h, 'ok', metadata);
    const spans = h.exporter.getFinishedSpans().filter((s) => s.name === METHOD);
    expect(spans.map((s) => s.spanContext().traceId).sort()).toEqual([
      '11111111111111111111111111111111',
      '4bf92f3577b34da6a3ce929d0e0e4736',
    ]);
    for (const span of spans) expect(span.attributes[ATTR_COALESCED_CALLS]).toBe(2);
  });

  it('starts no extra span without the coalesced-traceparents key, or for an empty one', async () => {
    const metadata = new Metadata();
    metadata.set(COALESCED_TRACEPARENTS_KEY, ' , ');
    await infer(h, 'ok', metadata);
    const spans = h.exporter.getFinishedSpans().filter((s) => s.name === METHOD);
    expect(spans).toHaveLength(1);
    expect(spans[0]!.attributes[ATTR_COALESCED_CALLS]).toBeUndefined();
  });

  it("tells the handler, through its signal, that the caller's deadline passed", async () => {
    const failed = await new Promise<ServiceError>((resolve) =>
      h.client.modelInfer(
        inference.ModelInferRequest.fromPartial({ modelName: 'wait-for-abort' }),
        new Metadata(),
        { deadline: Date.now() + 200 },
        (error) => resolve(error!),
      ),
    );
    expect(failed.code).toBe(status.DEADLINE_EXCEEDED);
    await expect.poll(() => abortReasons.length).toBe(1);
    expect(abortReasons[0]).toBeInstanceOf(DeadlineExceededError);
  });

  it('calls onCancel listeners when the deadline passes, and keeps the reason', async () => {
    const failed = await new Promise<ServiceError>((resolve) =>
      h.client.modelInfer(
        inference.ModelInferRequest.fromPartial({ modelName: 'wait-for-cancel' }),
        new Metadata(),
        { deadline: Date.now() + 150 },
        (error) => resolve(error!),
      ),
    );
    expect(failed.code).toBe(status.DEADLINE_EXCEEDED);
    await expect.poll(() => abortReasons.length, { timeout: 2_000 }).toBe(2);
    expect(abortReasons[0]).toBeInstanceOf(DeadlineExceededError);
    expect(abortReasons[1]).toBe(abortReasons[0]);
  });

  it('hands a handler that first reads its signal after the deadline an aborted one', async () => {
    const failed = await new Promise<ServiceError>((resolve) =>
      h.client.modelInfer(
        inference.ModelInferRequest.fromPartial({ modelName: 'read-signal-late' }),
        new Metadata(),
        { deadline: Date.now() + 100 },
        (error) => resolve(error!),
      ),
    );
    expect(failed.code).toBe(status.DEADLINE_EXCEEDED);
    await expect.poll(() => abortReasons.length, { timeout: 2_000 }).toBe(1);
    expect(abortReasons[0]).toBeInstanceOf(DeadlineExceededError);
  });

  it('drains on shutdown: an in-flight call completes, readiness drops, new calls are refused', async () => {
    const inFlight = infer(h, 'slow');
    await new Promise((r) => setTimeout(r, 100));
    const stopping = h.service.shutdown('test');
    await new Promise((r) => setTimeout(r, 50));
    expect(h.service.isReady()).toBe(false);
    h.releaseSlow();
    await expect(inFlight).resolves.toMatchObject({ modelName: 'slow' });
    await stopping;
    const fresh = new inference.GRPCInferenceServiceClient(
      h.service.grpcAddress,
      credentials.createInsecure(),
    );
    const refused = await new Promise<ServiceError>((resolve) =>
      fresh.serverLive({}, new Metadata(), { deadline: Date.now() + 1000 }, (e) => resolve(e!)),
    );
    fresh.close();
    expect([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]).toContain(refused.code);
  });
});
