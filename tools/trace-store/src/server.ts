/**
 * The gRPC adapter of the trace store (`sightline.traces.v1.TraceService`): each handler
 * decodes the request, makes one store call and encodes the answer. The rules live in
 * store/trace-query.ts; the service-kit's call wrappers add metrics, logs and error mapping.
 */
import type { Server } from '@grpc/grpc-js';
import { tracesV1 } from '@sightline/contracts';
import { NotFoundError } from '@sightline/errors';
import { type CallKit, unary } from '@sightline/service-kit';
import type { SpanAttribute, SpanKindName, SpanStatusName, StoredSpan } from './store/stored-span.js';
import { parseListFilter, parseTraceId } from './store/trace-query.js';
import type { StoreEvictionCounts, TraceStore } from './store/trace-store.js';
import type { TraceSummary } from './store/trace-summary.js';

/** The fully-qualified name of the service, for health and reflection. */
export const TRACE_SERVICE_NAME = 'sightline.traces.v1.TraceService';

const KINDS: Readonly<Record<SpanKindName, tracesV1.SpanKind>> = {
  unspecified: tracesV1.SpanKind.SPAN_KIND_UNSPECIFIED,
  internal: tracesV1.SpanKind.SPAN_KIND_INTERNAL,
  server: tracesV1.SpanKind.SPAN_KIND_SERVER,
  client: tracesV1.SpanKind.SPAN_KIND_CLIENT,
  producer: tracesV1.SpanKind.SPAN_KIND_PRODUCER,
  consumer: tracesV1.SpanKind.SPAN_KIND_CONSUMER,
};

const STATUSES: Readonly<Record<SpanStatusName, tracesV1.SpanStatusCode>> = {
  unset: tracesV1.SpanStatusCode.SPAN_STATUS_CODE_UNSPECIFIED,
  ok: tracesV1.SpanStatusCode.SPAN_STATUS_CODE_OK,
  error: tracesV1.SpanStatusCode.SPAN_STATUS_CODE_ERROR,
};

function attributesToMessage(attributes: readonly SpanAttribute[]): tracesV1.Attribute[] {
  return attributes.map(({ key, value }) => ({ key, value }));
}

function spanToMessage(span: StoredSpan): tracesV1.Span {
  return {
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    serviceName: span.serviceName,
    kind: KINDS[span.kind],
    startTimeUnixNano: span.startTimeUnixNano,
    durationNanos: span.endTimeUnixNano - span.startTimeUnixNano,
    status: { code: STATUSES[span.status.code], message: span.status.message },
    attributes: attributesToMessage(span.attributes),
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixNano: event.timeUnixNano,
      attributes: attributesToMessage(event.attributes),
    })),
    scopeName: span.scopeName,
    resourceAttributes: attributesToMessage(span.resourceAttributes),
  };
}

function summaryToMessage(summary: TraceSummary): tracesV1.TraceSummary {
  return { ...summary, services: [...summary.services] };
}

function evictionsToMessage(counts: StoreEvictionCounts): tracesV1.StoreEvictions {
  return {
    spansEvictedForSpace: BigInt(counts.spansEvictedForSpace),
    spansEvictedForAge: BigInt(counts.spansEvictedForAge),
    tracesEvicted: BigInt(counts.tracesEvicted),
    spansRejected: BigInt(counts.spansRejected),
  };
}

/** Adds the TraceService over `store` to `server`. */
export function registerTraceService(server: Server, kit: CallKit, store: TraceStore): void {
  const m = (name: string) => `${TRACE_SERVICE_NAME}/${name}`;
  const implementation: tracesV1.TraceServiceServer = {
    listTraces: unary(kit, m('ListTraces'), async (request: tracesV1.ListTracesRequest) => {
      const page = store.list(parseListFilter(request));
      return {
        traces: page.traces.map(summaryToMessage),
        totalMatching: page.totalMatching,
        evictions: evictionsToMessage(store.evictions()),
      };
    }),
    getTrace: unary(kit, m('GetTrace'), async (request: tracesV1.GetTraceRequest) => {
      const traceId = parseTraceId(request.traceId);
      const spans = store.get(traceId);
      if (!spans) {
        throw new NotFoundError(
          `trace_id: trace ${traceId} is not in the store (never received, or dropped after --max-age-ms or past --max-spans/--max-traces)`,
        );
      }
      return { traceId, spans: spans.map(spanToMessage) };
    }),
  };
  server.addService(tracesV1.TraceServiceService, implementation);
}
