/**
 * The trace store's settings: the shared server settings (gRPC port 8006, HTTP port 9006)
 * plus the OTLP receiver's address and the store's bounds, each settable by flag
 * (`--max-spans`) or environment (`SIGHTLINE_MAX_SPANS`). Documented in
 * tools/trace-store/README.md.
 */
import { serverConfigSchema } from '@sightline/service-kit';
import { z } from 'zod';

/** Default ports of the trace store: the next free pair after the six services. */
export const TRACE_STORE_PORTS = { grpcPort: 8006, httpPort: 9006 } as const;
/** The OTLP/HTTP default port (OTLP specification). */
export const DEFAULT_OTLP_PORT = 4318;
/** Spans held at most by default: a few thousand routed requests of the local stack. */
export const DEFAULT_MAX_SPANS = 100_000;
/** Traces held at most by default. */
export const DEFAULT_MAX_TRACES = 10_000;
/** How long a trace is kept after its newest span arrived, by default: 30 minutes. */
export const DEFAULT_MAX_AGE_MS = 30 * 60 * 1000;
/** Approximate memory held by spans at most by default, in bytes: 256 MiB. */
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
/** OTLP/HTTP exports handled at once by default; more are answered 503 with Retry-After. */
export const DEFAULT_MAX_CONCURRENT_EXPORTS = 32;
/** Largest OTLP/HTTP body by default, in bytes (received and after gunzip): 16 MiB. */
export const DEFAULT_MAX_OTLP_BODY_BYTES = 16 * 1024 * 1024;

const positiveInt = z.coerce.number().int().positive();

export const traceStoreConfigSchema = serverConfigSchema(TRACE_STORE_PORTS).extend({
  // A dev component holding other processes' traces: loopback unless asked otherwise.
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('address to bind the gRPC and HTTP ports to (the trace store is a dev component: loopback)'),
  otlpHost: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('address of the OTLP/HTTP receiver (POST /v1/traces)'),
  otlpPort: z.coerce
    .number()
    .int()
    .min(0)
    .max(65_535)
    .default(DEFAULT_OTLP_PORT)
    .describe('port of the OTLP/HTTP receiver (0 picks a free one)'),
  maxSpans: positiveInt
    .default(DEFAULT_MAX_SPANS)
    .describe(
      'most spans kept; past it the oldest traces are dropped whole, and a trace bigger than this is cut',
    ),
  maxTraces: positiveInt
    .default(DEFAULT_MAX_TRACES)
    .describe('most traces kept; past it the oldest are dropped'),
  maxBytes: positiveInt
    .default(DEFAULT_MAX_BYTES)
    .describe(
      'most memory held by spans, in bytes (their text at 2 bytes a character plus a fixed overhead); past it the oldest traces are dropped',
    ),
  maxAgeMs: positiveInt
    .default(DEFAULT_MAX_AGE_MS)
    .describe('a trace is dropped this long after its newest span arrived, in ms'),
  maxOtlpBodyBytes: positiveInt
    .default(DEFAULT_MAX_OTLP_BODY_BYTES)
    .describe('largest OTLP/HTTP body accepted, in bytes, as received and after gunzip; larger gets 413'),
  maxConcurrentExports: positiveInt
    .default(DEFAULT_MAX_CONCURRENT_EXPORTS)
    .describe('OTLP/HTTP exports handled at once; more get 503 with Retry-After (the exporter retries)'),
});

/** The trace store's resolved settings. */
export type TraceStoreConfig = z.output<typeof traceStoreConfigSchema>;
