/**
 * OTLP export requests (the generated upstream messages) to the store's spans. The only
 * place that knows both: the store stays free of OTLP types, the receiver free of rules.
 *
 * A span with a malformed id (a trace id that is not 16 bytes or is all zeros, a span id
 * that is not 8 bytes or is all zeros, a parent span id that is neither empty nor 8 bytes)
 * cannot be placed in any trace; it is rejected alone and the sender is told how many in
 * the OTLP partial-success answer, with the first problem as its message.
 */
import type { otlpCollectorTraceV1, otlpCommonV1, otlpTraceV1 } from '@sightline/contracts/otlp';
import type {
  SpanAttribute,
  SpanEventRecord,
  SpanKindName,
  SpanStatusName,
  StoredSpan,
} from '../store/stored-span.js';

/** The resource attribute that names the service (OpenTelemetry semantic conventions). */
const SERVICE_NAME_KEY = 'service.name';

const KIND_NAMES: Readonly<Record<number, SpanKindName>> = {
  0: 'unspecified',
  1: 'internal',
  2: 'server',
  3: 'client',
  4: 'producer',
  5: 'consumer',
};

const STATUS_NAMES: Readonly<Record<number, SpanStatusName>> = { 0: 'unset', 1: 'ok', 2: 'error' };

/** The spans of one export request, and how many of its spans were refused. */
export interface ConvertedSpans {
  readonly spans: StoredSpan[];
  readonly rejected: number;
  /** The first refusal's reason, for the partial-success message; undefined when none. */
  readonly firstProblem?: string;
}

function isAllZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** An OTLP AnyValue as text: strings as is, numbers and booleans plainly, the rest as JSON. */
export function attributeText(value: otlpCommonV1.AnyValue | undefined): string {
  if (value === undefined) return '';
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return String(value.boolValue);
  if (value.intValue !== undefined) return value.intValue.toString();
  if (value.doubleValue !== undefined) return String(value.doubleValue);
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue).toString('base64');
  return JSON.stringify(plainValue(value));
}

function plainValue(value: otlpCommonV1.AnyValue | undefined): unknown {
  if (value === undefined) return null;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  // int64 beyond 2^53 would lose digits as a JSON number: kept as a decimal string then.
  if (value.intValue !== undefined) {
    return Number.isSafeInteger(Number(value.intValue)) ? Number(value.intValue) : value.intValue.toString();
  }
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue).toString('base64');
  if (value.arrayValue !== undefined) return value.arrayValue.values.map(plainValue);
  if (value.kvlistValue !== undefined) {
    return Object.fromEntries(value.kvlistValue.values.map((kv) => [kv.key, plainValue(kv.value)]));
  }
  return null;
}

function attributes(list: readonly otlpCommonV1.KeyValue[]): SpanAttribute[] {
  return list.map((kv) => ({ key: kv.key, value: attributeText(kv.value) }));
}

function idProblem(span: otlpTraceV1.Span): string | undefined {
  if (span.traceId.length !== 16 || isAllZero(span.traceId)) {
    return `span ${JSON.stringify(span.name.slice(0, 64))}: traceId must be 16 bytes (32 hex characters), not all zeros`;
  }
  if (span.spanId.length !== 8 || isAllZero(span.spanId)) {
    return `span ${JSON.stringify(span.name.slice(0, 64))}: spanId must be 8 bytes (16 hex characters), not all zeros`;
  }
  if (span.parentSpanId.length !== 0 && span.parentSpanId.length !== 8) {
    return `span ${JSON.stringify(span.name.slice(0, 64))}: parentSpanId must be empty or 8 bytes (16 hex characters)`;
  }
  return undefined;
}

/** Converts every span of `request`, refusing those with malformed ids. */
export function spansFromExportRequest(
  request: otlpCollectorTraceV1.ExportTraceServiceRequest,
): ConvertedSpans {
  const spans: StoredSpan[] = [];
  let rejected = 0;
  let firstProblem: string | undefined;
  for (const resourceSpans of request.resourceSpans) {
    const resourceAttributes = resourceSpans.resource?.attributes ?? [];
    const serviceName = attributeText(resourceAttributes.find((kv) => kv.key === SERVICE_NAME_KEY)?.value);
    const otherResourceAttributes = attributes(
      resourceAttributes.filter((kv) => kv.key !== SERVICE_NAME_KEY),
    );
    for (const scopeSpans of resourceSpans.scopeSpans) {
      const scopeName = scopeSpans.scope?.name ?? '';
      for (const span of scopeSpans.spans) {
        const problem = idProblem(span);
        if (problem !== undefined) {
          rejected += 1;
          firstProblem ??= problem;
          continue;
        }
        const start = span.startTimeUnixNano;
        // biome-ignore lint/complexity/useMathMinMax: bigints; Math.max takes numbers only.
        const end = span.endTimeUnixNano < start ? start : span.endTimeUnixNano;
        spans.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId:
            span.parentSpanId.length === 0 || isAllZero(span.parentSpanId) ? '' : hex(span.parentSpanId),
          name: span.name,
          serviceName,
          kind: KIND_NAMES[span.kind] ?? 'unspecified',
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          status: {
            code: STATUS_NAMES[span.status?.code ?? 0] ?? 'unset',
            message: span.status?.message ?? '',
          },
          attributes: attributes(span.attributes),
          events: span.events.map(
            (event): SpanEventRecord => ({
              name: event.name,
              timeUnixNano: event.timeUnixNano,
              attributes: attributes(event.attributes),
            }),
          ),
          scopeName,
          resourceAttributes: otherResourceAttributes,
        });
      }
    }
  }
  return firstProblem === undefined ? { spans, rejected } : { spans, rejected, firstProblem };
}
