/**
 * One line's worth of a trace: what a list shows so a person can pick the trace to open.
 */
import { compareSpans, type StoredSpan } from './stored-span.js';

/** A trace in a list. */
export interface TraceSummary {
  readonly traceId: string;
  /** The root span's name, or the earliest span's when no root is held (`rootMissing`). */
  readonly rootSpanName: string;
  /** That span's `service.name`. */
  readonly rootServiceName: string;
  /** The earliest span's start, in unix epoch nanoseconds. */
  readonly startTimeUnixNano: bigint;
  /** Earliest start to latest end, in nanoseconds. */
  readonly durationNanos: bigint;
  readonly spanCount: number;
  /** Whether any span has status error. */
  readonly error: boolean;
  /** Distinct `service.name`s, sorted. */
  readonly services: readonly string[];
  /** True when no held span is parentless (the root was never received, or was evicted). */
  readonly rootMissing: boolean;
}

/** Summarises a non-empty set of spans of one trace. */
export function summarizeTrace(traceId: string, spans: readonly StoredSpan[]): TraceSummary {
  const ordered = [...spans].sort(compareSpans);
  const first = ordered[0];
  if (!first) throw new RangeError(`trace ${traceId}: cannot summarise a trace with no spans`);
  const root = ordered.find((span) => span.parentSpanId === '');
  let end = first.endTimeUnixNano;
  let error = false;
  const services = new Set<string>();
  for (const span of ordered) {
    if (span.endTimeUnixNano > end) end = span.endTimeUnixNano;
    if (span.status.code === 'error') error = true;
    if (span.serviceName !== '') services.add(span.serviceName);
  }
  const shown = root ?? first;
  return {
    traceId,
    rootSpanName: shown.name,
    rootServiceName: shown.serviceName,
    startTimeUnixNano: first.startTimeUnixNano,
    durationNanos: end - first.startTimeUnixNano,
    spanCount: ordered.length,
    error,
    services: [...services].sort(),
    rootMissing: root === undefined,
  };
}
