/**
 * The trace store's query service (`sightline.traces.v1.TraceService`, tools/trace-store,
 * port 8006 in the local stack): recent traces and every span of one, in plain types with
 * kinds and statuses as names. Both calls only read, so both are retried on UNAVAILABLE.
 */
import { tracesV1 } from '@sightline/contracts';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';

const service = tracesV1.TraceServiceService;

/** What a span did, as OpenTelemetry names span kinds. */
export type TraceSpanKind = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** A span's outcome. */
export type TraceSpanStatus = 'unset' | 'ok' | 'error';

/** One attribute; values come as text (numbers and booleans plainly, arrays and maps as JSON). */
export interface TraceAttribute {
  readonly key: string;
  readonly value: string;
}

/** A timestamped event on a span (an exception, say). */
export interface TraceSpanEvent {
  readonly name: string;
  /** Unix epoch nanoseconds. */
  readonly timeUnixNano: bigint;
  readonly attributes: readonly TraceAttribute[];
}

/**
 * One span of a trace. Shaped so `renderWaterfall` of `@sightline/trace-store/waterfall`
 * draws a trace's spans as they are.
 */
export interface TraceSpan {
  /** 16 lowercase hex characters. */
  readonly spanId: string;
  /** The parent's span id; '' for a root span. The parent may be missing from the trace. */
  readonly parentSpanId: string;
  readonly name: string;
  /** The resource `service.name` of the process that recorded it, e.g. `sightline-router`. */
  readonly serviceName: string;
  readonly kind: TraceSpanKind;
  /** Unix epoch nanoseconds. */
  readonly startTimeUnixNano: bigint;
  /** Nanoseconds. */
  readonly durationNanos: bigint;
  readonly status: TraceSpanStatus;
  /** The error's description; '' unless the status is `error`. */
  readonly statusMessage: string;
  readonly attributes: readonly TraceAttribute[];
  readonly events: readonly TraceSpanEvent[];
  /** The instrumentation scope, e.g. `sightline.router`. */
  readonly scopeName: string;
  /** The resource's attributes other than service.name. */
  readonly resourceAttributes: readonly TraceAttribute[];
}

/** One whole trace, as far as the store holds it. */
export interface Trace {
  /** 32 lowercase hex characters. */
  readonly traceId: string;
  /** Ordered by start time. */
  readonly spans: readonly TraceSpan[];
}

/** One trace in a list. */
export interface TraceSummary {
  readonly traceId: string;
  /** The root span's name (the earliest span's when `rootMissing`). */
  readonly rootSpanName: string;
  readonly rootServiceName: string;
  /** The earliest span's start. */
  readonly startTime: Date;
  /** The same, in unix epoch nanoseconds. */
  readonly startTimeUnixNano: bigint;
  /** Earliest start to latest end, in nanoseconds. */
  readonly durationNanos: bigint;
  readonly spanCount: number;
  /** Whether any span failed. */
  readonly error: boolean;
  /** Every service.name in the trace, sorted. */
  readonly services: readonly string[];
  /** True when the store holds no root span of this trace (never received, or evicted). */
  readonly rootMissing: boolean;
}

/** What the store dropped to stay within its bounds since it started. */
export interface TraceStoreEvictions {
  readonly spansEvictedForSpace: bigint;
  readonly spansEvictedForAge: bigint;
  readonly tracesEvicted: bigint;
  readonly spansRejected: bigint;
}

/** A list of traces. */
export interface TraceList {
  /** Newest first. */
  readonly traces: readonly TraceSummary[];
  /** How many matched in all (may exceed the number returned). */
  readonly totalMatching: number;
  readonly evictions: TraceStoreEvictions;
}

/** Filters of `list`; every one optional. */
export interface ListTracesOptions extends CallOptions {
  /** Only traces with a span from this service.name, e.g. `sightline-model-server`. */
  readonly service?: string;
  /**
   * Only traces whose root span was recorded by this service.name, e.g. `sightline-router`
   * for the requests that came in through the router (leaving out readiness probes).
   */
  readonly rootService?: string;
  /** Only traces whose root span's name contains this text, e.g. `ModelInfer`. */
  readonly rootSpanName?: string;
  /** Only traces lasting at least this long, in milliseconds (fractions allowed). */
  readonly minDurationMs?: number;
  /** Most traces returned; the server's default (20) when unset, at most 1000. */
  readonly limit?: number;
  /** Only traces that started at or after this instant (a Date or epoch milliseconds). */
  readonly since?: Date | number;
}

const KINDS: Readonly<Record<number, TraceSpanKind>> = {
  [tracesV1.SpanKind.SPAN_KIND_INTERNAL]: 'internal',
  [tracesV1.SpanKind.SPAN_KIND_SERVER]: 'server',
  [tracesV1.SpanKind.SPAN_KIND_CLIENT]: 'client',
  [tracesV1.SpanKind.SPAN_KIND_PRODUCER]: 'producer',
  [tracesV1.SpanKind.SPAN_KIND_CONSUMER]: 'consumer',
};

const STATUSES: Readonly<Record<number, TraceSpanStatus>> = {
  [tracesV1.SpanStatusCode.SPAN_STATUS_CODE_OK]: 'ok',
  [tracesV1.SpanStatusCode.SPAN_STATUS_CODE_ERROR]: 'error',
};

const NANOS_PER_MS = 1_000_000;

function spanOf(span: tracesV1.Span): TraceSpan {
  const attributes = (list: readonly tracesV1.Attribute[]) => list.map(({ key, value }) => ({ key, value }));
  return {
    spanId: span.spanId,
    parentSpanId: span.parentSpanId,
    name: span.name,
    serviceName: span.serviceName,
    kind: KINDS[span.kind] ?? 'unspecified',
    startTimeUnixNano: span.startTimeUnixNano,
    durationNanos: span.durationNanos,
    status: STATUSES[span.status?.code ?? 0] ?? 'unset',
    statusMessage: span.status?.message ?? '',
    attributes: attributes(span.attributes),
    events: span.events.map((event) => ({
      name: event.name,
      timeUnixNano: event.timeUnixNano,
      attributes: attributes(event.attributes),
    })),
    scopeName: span.scopeName,
    resourceAttributes: attributes(span.resourceAttributes),
  };
}

function summaryOf(summary: tracesV1.TraceSummary): TraceSummary {
  return {
    traceId: summary.traceId,
    rootSpanName: summary.rootSpanName,
    rootServiceName: summary.rootServiceName,
    startTime: new Date(Number(summary.startTimeUnixNano / BigInt(NANOS_PER_MS))),
    startTimeUnixNano: summary.startTimeUnixNano,
    durationNanos: summary.durationNanos,
    spanCount: summary.spanCount,
    error: summary.error,
    services: summary.services,
    rootMissing: summary.rootMissing,
  };
}

/** Milliseconds (fractional) as whole nanoseconds; NaN and infinities are left for the server to refuse as -1. */
function msToNanos(ms: number): bigint {
  return Number.isFinite(ms) ? BigInt(Math.round(ms * NANOS_PER_MS)) : -1n;
}

/** Trace queries on one address (the trace store). */
export class TracesClient {
  /**
   * @param caller - the shared call path.
   * @param address - the trace store's gRPC target.
   */
  constructor(
    private readonly caller: Caller,
    readonly address: string,
  ) {}

  /**
   * Recent traces, newest first (ListTraces).
   *
   * @throws InvalidArgumentError naming the filter that broke its rule (`limit` over 1000,
   *   a negative duration or since).
   */
  async list(options: ListTracesOptions = {}): Promise<TraceList> {
    const since = options.since instanceof Date ? options.since.getTime() : options.since;
    const request: tracesV1.ListTracesRequest = {
      service: options.service ?? '',
      rootService: options.rootService ?? '',
      rootSpanName: options.rootSpanName ?? '',
      minDurationNanos: options.minDurationMs === undefined ? 0n : msToNanos(options.minDurationMs),
      limit: options.limit ?? 0,
      sinceUnixNano: since === undefined ? 0n : msToNanos(since),
    };
    const response = await this.caller.unary(
      this.address,
      service.listTraces,
      request,
      options,
      'idempotent',
    );
    return {
      traces: response.traces.map(summaryOf),
      totalMatching: response.totalMatching,
      evictions: response.evictions ?? {
        spansEvictedForSpace: 0n,
        spansEvictedForAge: 0n,
        tracesEvicted: 0n,
        spansRejected: 0n,
      },
    };
  }

  /**
   * Every span the store holds of one trace (GetTrace), e.g. the `traceId` of an inference
   * result.
   *
   * @throws InvalidArgumentError (field `trace_id`) for an id that is not 32 hex characters;
   *   NotFoundError for a trace the store does not hold (never received, or evicted).
   */
  async get(traceId: string, options: CallOptions = {}): Promise<Trace> {
    const response = await this.caller.unary(
      this.address,
      service.getTrace,
      { traceId },
      options,
      'idempotent',
    );
    return { traceId: response.traceId, spans: response.spans.map(spanOf) };
  }
}
