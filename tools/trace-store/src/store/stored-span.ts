/**
 * A span as the trace store keeps it: the OTLP span with its resource's service name and
 * its scope flattened onto it, ids as lowercase hex, attribute values as text. Plain data,
 * no transport types: the OTLP receiver builds these, the gRPC adapter and the waterfall
 * read them.
 */

/** What a span did, as OpenTelemetry numbers span kinds (OTLP `Span.SpanKind`). */
export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** A span's outcome, as OpenTelemetry numbers status codes (OTLP `Status.StatusCode`). */
export type SpanStatusName = 'unset' | 'ok' | 'error';

/** One attribute, its value already rendered as text (see {@link attributeText}). */
export interface SpanAttribute {
  readonly key: string;
  readonly value: string;
}

/** A timestamped event recorded on a span (an exception, a log-like note). */
export interface SpanEventRecord {
  readonly name: string;
  /** When it happened, in unix epoch nanoseconds. */
  readonly timeUnixNano: bigint;
  readonly attributes: readonly SpanAttribute[];
}

/** One stored span. */
export interface StoredSpan {
  /** 32 lowercase hex characters, never all zeros. */
  readonly traceId: string;
  /** 16 lowercase hex characters, never all zeros. */
  readonly spanId: string;
  /** 16 lowercase hex characters, or '' for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** The resource's `service.name`, '' when the sender gave none. */
  readonly serviceName: string;
  readonly kind: SpanKindName;
  /** Unix epoch nanoseconds. */
  readonly startTimeUnixNano: bigint;
  /** Unix epoch nanoseconds; never before the start (a sender's earlier end is clamped). */
  readonly endTimeUnixNano: bigint;
  readonly status: { readonly code: SpanStatusName; readonly message: string };
  readonly attributes: readonly SpanAttribute[];
  readonly events: readonly SpanEventRecord[];
  /** The instrumentation scope's name, e.g. `sightline.router`. */
  readonly scopeName: string;
  /** The resource's attributes other than `service.name`. */
  readonly resourceAttributes: readonly SpanAttribute[];
}

/** The span's duration in nanoseconds. */
export function spanDurationNanos(span: StoredSpan): bigint {
  return span.endTimeUnixNano - span.startTimeUnixNano;
}

/** Orders spans by start time, then span id, so every reader sees one stable order. */
export function compareSpans(a: StoredSpan, b: StoredSpan): number {
  if (a.startTimeUnixNano !== b.startTimeUnixNano) return a.startTimeUnixNano < b.startTimeUnixNano ? -1 : 1;
  return a.spanId < b.spanId ? -1 : a.spanId > b.spanId ? 1 : 0;
}
