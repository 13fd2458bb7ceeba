import { context, createContextKey, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { createTracing, parseResourceAttributes, resolveTraceExporter, type Tracing } from './tracing.js';

describe('resolveTraceExporter', () => {
  it('is off by default and when no endpoint is configured', () => {
    expect(resolveTraceExporter({})).toEqual({ kind: 'none' });
    expect(
      resolveTraceExporter({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x' }),
    ).toEqual({
      kind: 'none',
    });
  });

  it('turns OTLP on when an endpoint is set, defaulting to http/protobuf', () => {
    expect(resolveTraceExporter({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual({
      kind: 'otlp',
      protocol: 'http/protobuf',
    });
  });

  it('honours the traces-specific protocol over the general one', () => {
    expect(
      resolveTraceExporter({
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      }),
    ).toEqual({ kind: 'otlp', protocol: 'grpc' });
  });

  it('rejects unknown exporters and protocols with a sentence naming the variable', () => {
    expect(() => resolveTraceExporter({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() =>
      resolveTraceExporter({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'udp' }),
    ).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
  });
});

describe('createTracing', () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  it('records parent/child spans through the async context and propagates W3C context', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = createTracing({
      serviceName: 'test-svc',
      exporter,
      env: { OTEL_RESOURCE_ATTRIBUTES: 'team=ml' },
    });
    const carrier: Record<string, string> = {};
    await tracing.tracer.startActiveSpan('parent', async (parent) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      tracing!.tracer.startSpan('child').end();
      propagation.inject(context.active(), carrier);
      parent.end();
    });
    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'parent')!;
    const child = spans.find((s) => s.name === 'child')!;
    expect(child.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(carrier.traceparent).toMatch(new RegExp(`^00-${parent.spanContext().traceId}-[0-9a-f]{16}-01$`));
    expect(parent.resource.attributes['service.name']).toBe('test-svc');
    expect(parent.resource.attributes.team).toBe('ml');
    const extracted = propagation.extract(context.active(), carrier);
    expect(trace.getSpanContext(extracted)?.traceId).toBe(parent.spanContext().traceId);
  });
});

describe('parseResourceAttributes', () => {
  it('parses key=value pairs, percent-decodes values and skips malformed pairs', () => {
    expect(parseResourceAttributes('a=1, b=x%20y,=bad,novalue,c=%E0%A4%A')).toEqual({ a: '1', b: 'x y' });
  });
});

describe('createTracing without an exporter', () => {
  it('installs no SDK provider and hands the incoming trace context through', async () => {
    const tracing = createTracing({ serviceName: 'quiet', env: {} });
    try {
      expect(tracing.exporter).toEqual({ kind: 'none' });
      const incoming = propagation.extract(context.active(), {
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      });
      const span = tracing.tracer.startSpan('server', {}, incoming);
      expect(span.isRecording()).toBe(false);
      expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      span.end();
    } finally {
      await tracing.shutdown();
    }
  });
});

describe('createTracing contextPropagation', () => {
  const key = createContextKey('probe');
  const activeAfterAwait = () =>
    context.with(context.active().setValue(key, 'set'), async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return context.active().getValue(key);
    });

  it('follows async work with tracing off by default, for services that forward traceparent', async () => {
    const tracing = createTracing({ serviceName: 'router-like', env: {} });
    try {
      expect(await activeAfterAwait()).toBe('set');
    } finally {
      await tracing.shutdown();
    }
  });

  it('installs no context manager with tracing off when asked for when-tracing', async () => {
    const tracing = createTracing({ serviceName: 'leaf', env: {}, contextPropagation: 'when-tracing' });
    try {
      expect(await activeAfterAwait()).toBeUndefined();
    } finally {
      await tracing.shutdown();
    }
  });

  it('still follows async work under when-tracing once tracing is on', async () => {
    const tracing = createTracing({
      serviceName: 'leaf',
      exporter: new InMemorySpanExporter(),
      contextPropagation: 'when-tracing',
    });
    try {
      expect(await activeAfterAwait()).toBe('set');
    } finally {
      await tracing.shutdown();
    }
  });
});
