/**
 * The composition root of the trace store: builds the store, the OTLP/HTTP receiver and
 * the gRPC TraceService from the config and wires them; `main.ts` adds the process
 * concerns, and tests and the CLI call `startTraceStore` directly.
 *
 * The trace store records no spans of its own: every span it made would be exported into
 * itself, and each ListTraces would add a trace to the list it reads.
 */
import { trace } from '@opentelemetry/api';
import {
  type CallKit,
  GrpcServerMetrics,
  type Logger,
  type RunningService,
  runService,
} from '@sightline/service-kit';
import { createMetricsRegistry } from '@sightline/telemetry';
import type { Registry } from 'prom-client';
import type { TraceStoreConfig } from './config.js';
import { TraceStoreMetrics } from './observability/trace-store-metrics.js';
import { type OtlpHttpReceiver, startOtlpHttpReceiver } from './otlp/otlp-http-receiver.js';
import { registerTraceService, TRACE_SERVICE_NAME } from './server.js';
import { TraceStore } from './store/trace-store.js';

const SERVICE_NAME = 'trace-store';

/**
 * How often expired traces are dropped even when nothing is sent or read, in ms; between
 * sweeps the store drops them on every add, list and get anyway.
 */
export const AGE_SWEEP_INTERVAL_MS = 10_000;

/** Parts a caller may supply; everything else is built from the config. */
export interface TraceStoreParts {
  readonly logger: Logger;
  readonly registry?: Registry;
  /** The store's clock, epoch ms (tests move it). */
  readonly now?: () => number;
}

/** A started trace store. */
export interface TraceStoreHandle extends RunningService {
  readonly store: TraceStore;
  readonly registry: Registry;
  /** The bound OTLP/HTTP port. */
  readonly otlpPort: number;
  /** `http://host:port`, the value for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly otlpEndpoint: string;
}

/** Starts the trace store: OTLP receiver listening, gRPC and HTTP ports bound. */
export async function startTraceStore(
  config: TraceStoreConfig,
  parts: TraceStoreParts,
): Promise<TraceStoreHandle> {
  const { logger } = parts;
  const registry = parts.registry ?? createMetricsRegistry({ serviceName: SERVICE_NAME });
  const store = new TraceStore(
    {
      maxSpans: config.maxSpans,
      maxTraces: config.maxTraces,
      maxBytes: config.maxBytes,
      maxAgeMs: config.maxAgeMs,
    },
    parts.now,
  );
  const metrics = new TraceStoreMetrics(registry, store);
  const kit: CallKit = {
    tracer: trace.getTracer('sightline.trace-store'),
    logger,
    metrics: new GrpcServerMetrics(registry),
    traced: false,
  };

  let receiver: OtlpHttpReceiver | undefined;
  let sweep: NodeJS.Timeout | undefined;
  const service = await runService({
    name: SERVICE_NAME,
    config,
    logger,
    registry,
    protoFiles: ['sightline/traces/v1/traces.proto'],
    serviceNames: [TRACE_SERVICE_NAME],
    register: (server) => registerTraceService(server, kit, store),
    start: async () => {
      receiver = await startOtlpHttpReceiver({
        host: config.otlpHost,
        port: config.otlpPort,
        maxBodyBytes: config.maxOtlpBodyBytes,
        maxConcurrentExports: config.maxConcurrentExports,
        sink: store,
        onExport: (outcome) => metrics.exported(outcome),
        onRefused: (status, message) => {
          metrics.refusedWith(status);
          logger.warn({ status, reason: message }, 'OTLP export refused');
        },
      }).catch((error: unknown) => {
        const code = (error as NodeJS.ErrnoException).code;
        const reason =
          code === 'EADDRINUSE'
            ? 'is in use (another trace store, or an OpenTelemetry collector?); under `sightline start`, set OTEL_EXPORTER_OTLP_ENDPOINT to send traces to what listens there, or OTEL_TRACES_EXPORTER=none'
            : `failed: ${code}`;
        throw new Error(`OTLP port ${config.otlpHost}:${config.otlpPort} (--otlp-port) ${reason}`, {
          cause: error,
        });
      });
      sweep = setInterval(() => store.dropExpired(), AGE_SWEEP_INTERVAL_MS).unref();
      logger.info(
        {
          otlpPort: receiver.port,
          otlpEndpoint: receiver.endpoint,
          maxSpans: config.maxSpans,
          maxTraces: config.maxTraces,
          maxBytes: config.maxBytes,
          maxAgeMs: config.maxAgeMs,
        },
        'OTLP/HTTP receiver listening',
      );
    },
    stop: async () => {
      clearInterval(sweep);
      await receiver?.close();
    },
  });
  if (!receiver) throw new Error('trace-store: the OTLP receiver did not start');
  return Object.assign(service, {
    store,
    registry,
    otlpPort: receiver.port,
    otlpEndpoint: receiver.endpoint,
  });
}
