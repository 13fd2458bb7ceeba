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

/** What each span costs beyond its text: the object, ids, times and array headers, in bytes. */
const SPAN_OVERHEAD_BYTES = 400;
/** What each attribute or event costs beyond its text, in bytes. */
const ENTRY_OVERHEAD_BYTES = 40;

function textBytes(text: string): number {
  // V8 keeps one-byte strings at one byte a character and others at two; two is the bound.
  return text.length * 2;
}

function attributesBytes(attributes: readonly SpanAttribute[]): number {
  let bytes = 0;
  for (const { key, value } of attributes) bytes += ENTRY_OVERHEAD_BYTES + textBytes(key) + textBytes(value);
  return bytes;
}

/**
 * An upper estimate of the memory a span holds, in bytes: its text (name, status message,
 * attributes, events, resource attributes) at two bytes a character, plus a fixed overhead.
 * The store bounds the sum (`maxBytes`), so a few spans with megabyte attributes cannot
 * outgrow what a span count alone would allow.
 */
export function approximateSpanBytes(span: StoredSpan): number {
  let bytes =
    SPAN_OVERHEAD_BYTES + textBytes(span.name) + textBytes(span.serviceName) + textBytes(span.scopeName);
  bytes +=
    textBytes(span.status.message) +
    attributesBytes(span.attributes) +
    attributesBytes(span.resourceAttributes);
  for (const event of span.events)
    bytes += ENTRY_OVERHEAD_BYTES + textBytes(event.name) + attributesBytes(event.attributes);
  return bytes;
}
