/**
 * OpenTelemetry tracing set up the way every OpenTelemetry SDK honours the standard
 * environment: OTEL_TRACES_EXPORTER (otlp | console | none), OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT,
 * OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL (grpc | http/protobuf | http/json), OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES and OTEL_TRACES_SAMPLER[_ARG].
 *
 * Spans are started explicitly by the service-kit's call wrappers and by domain code, and
 * the W3C trace context travels in gRPC metadata; no auto-instrumentation or module
 * loader hooks are needed, so this works the same under ESM and in tests.
 */
import { context, propagation, type Tracer, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpHttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpHttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

/** Which exporter the environment asks for, resolved once. */
export type TraceExporterChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'console' }
  | { readonly kind: 'otlp'; readonly protocol: 'grpc' | 'http/protobuf' | 'http/json' };

/** Options for {@link createTracing}. */
export interface TracingOptions {
  /** The service name, used unless OTEL_SERVICE_NAME overrides it. */
  readonly serviceName: string;
  readonly serviceVersion?: string;
  /** The environment to read OTEL_* variables from (default: process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * An exporter to use instead of the environment's choice (tests pass an
   * InMemorySpanExporter). Spans are then exported synchronously on end.
   */
  readonly exporter?: SpanExporter;
  /**
   * When the active context follows async work (default `always`).
   *
   * `always` installs the AsyncLocalStorage context manager even with tracing off, because a
   * service that calls others forwards the caller's `traceparent` from the active context
   * (the router). `when-tracing` installs it only when spans are recorded: on Node 20 an
   * AsyncLocalStorage turns on promise hooks for every promise of the process, a measurable
   * per-request cost for a leaf service (the model-server) that forwards nothing.
   */
  readonly contextPropagation?: 'always' | 'when-tracing';
}

/** A started tracing setup; `shutdown()` flushes pending spans. */
export interface Tracing {
  readonly tracer: Tracer;
  readonly exporter: TraceExporterChoice | { readonly kind: 'custom' };
  tracerFor(name: string): Tracer;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

const OTLP_PROTOCOLS = ['grpc', 'http/protobuf', 'http/json'] as const;

/**
 * Reads the exporter choice from the environment. Tracing is on when OTEL_TRACES_EXPORTER
 * says so, or when an OTLP endpoint is configured; otherwise it is off (the embedded
 * default), matching the design's "OTLP if configured, else off".
 */
export function resolveTraceExporter(env: NodeJS.ProcessEnv): TraceExporterChoice {
  const requested = (env.OTEL_TRACES_EXPORTER ?? '').split(',')[0]?.trim().toLowerCase() ?? '';
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (requested === 'none') return { kind: 'none' };
  if (requested === 'console') return { kind: 'console' };
  if (requested === '' && !endpoint) return { kind: 'none' };
  if (requested !== '' && requested !== 'otlp') {
    throw new Error(`OTEL_TRACES_EXPORTER: expected otlp, console or none, got "${requested}"`);
  }
  const protocol = (
    env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    env.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf'
  ).toLowerCase();
  if (!(OTLP_PROTOCOLS as readonly string[]).includes(protocol)) {
    throw new Error(
      `OTEL_EXPORTER_OTLP_PROTOCOL: expected one of ${OTLP_PROTOCOLS.join(', ')}, got "${protocol}"`,
    );
  }
  return { kind: 'otlp', protocol: protocol as (typeof OTLP_PROTOCOLS)[number] };
}

function exporterFor(choice: TraceExporterChoice): SpanExporter | undefined {
  switch (choice.kind) {
    case 'none':
      return undefined;
    case 'console':
      return new ConsoleSpanExporter();
    case 'otlp':
      // Each exporter reads its endpoint, headers, timeout and compression from the
      // standard OTEL_EXPORTER_OTLP_* variables itself.
      if (choice.protocol === 'grpc') return new OtlpGrpcExporter();
      if (choice.protocol === 'http/json') return new OtlpHttpJsonExporter();
      return new OtlpHttpProtoExporter();
  }
}

/**
 * Parses OTEL_RESOURCE_ATTRIBUTES (`key=value,key2=value2`, values percent-encoded) as the
 * OpenTelemetry specification defines it; malformed pairs are skipped, as the SDKs do.
 */
export function parseResourceAttributes(text: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    try {
      attributes[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      // A malformed percent-escape: skip the pair rather than fail the service's start.
    }
  }
  return attributes;
}

/**
 * Starts tracing for one process: a tracer provider with the configured exporter, the W3C
 * trace-context and baggage propagators, and an AsyncLocalStorage context manager so the
 * active span follows async calls. Call once, from a service's main.
 */
export function createTracing(options: TracingOptions): Tracing {
  const env = options.env ?? process.env;
  const choice = options.exporter ? undefined : resolveTraceExporter(env);
  const exporter = options.exporter ?? (choice ? exporterFor(choice) : undefined);

  // OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES' service.name, which wins over ours.
  const attributes: Record<string, string> = { [ATTR_SERVICE_NAME]: options.serviceName };
  if (options.serviceVersion) attributes[ATTR_SERVICE_VERSION] = options.serviceVersion;
  Object.assign(attributes, parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES ?? ''));
  if (env.OTEL_SERVICE_NAME) attributes[ATTR_SERVICE_NAME] = env.OTEL_SERVICE_NAME;
  const resource = defaultResource().merge(resourceFromAttributes(attributes));

  // The API's globals are the OpenTelemetry contract with every instrumented library;
  // they are set here, once per process, from main.
  if (exporter || (options.contextPropagation ?? 'always') === 'always') {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  }
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );

  // With no exporter, no SDK provider is installed: the API's no-op tracer then costs
  // nothing per call and hands an incoming trace context through unchanged.
  const provider = exporter
    ? new BasicTracerProvider({
        resource,
        spanProcessors: [
          options.exporter ? new SimpleSpanProcessor(exporter) : new BatchSpanProcessor(exporter),
        ],
      })
    : undefined;
  if (provider) trace.setGlobalTracerProvider(provider);

  const tracerFor = (name: string): Tracer => trace.getTracer(name, options.serviceVersion);
  return {
    tracer: tracerFor(options.serviceName),
    exporter: options.exporter ? { kind: 'custom' } : (choice ?? { kind: 'none' }),
    tracerFor,
    forceFlush: async () => provider?.forceFlush(),
    async shutdown() {
      await provider?.shutdown();
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
