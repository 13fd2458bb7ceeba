/**
 * The bounded in-memory store of recent traces. Spans arrive in batches (one OTLP export
 * each) and are grouped by trace; the store keeps at most `maxSpans` spans and `maxTraces`
 * traces, and forgets a trace once its newest span was received more than `maxAgeMs` ago.
 *
 * Eviction is oldest-first by whole trace: a trace's place in line is the time its newest
 * span arrived, so a trace still receiving spans (a long request, a late exporter) stays.
 * Dropping whole traces keeps what remains readable; a trace cut in half is worse than none.
 * Age is measured on receipt, with the store's clock, never with the senders' span
 * timestamps, whose clocks may disagree with ours.
 */
import { approximateSpanBytes, compareSpans, type StoredSpan } from './stored-span.js';
import { summarizeTrace, type TraceSummary } from './trace-summary.js';

/** The store's bounds; all explicit, all configurable (trace-store flags). */
export interface TraceStoreLimits {
  /** Most spans held in all. A single trace may not exceed it; its extra spans are rejected. */
  readonly maxSpans: number;
  /** Most traces held. */
  readonly maxTraces: number;
  /**
   * Most memory held by spans, in bytes, as approximateSpanBytes estimates it. A single trace
   * may not exceed it: its extra spans are rejected.
   */
  readonly maxBytes: number;
  /** A trace whose newest span arrived longer ago than this, in milliseconds, is dropped. */
  readonly maxAgeMs: number;
}

/** What the store has dropped since it started. */
export interface StoreEvictionCounts {
  readonly spansEvictedForSpace: number;
  readonly spansEvictedForAge: number;
  readonly tracesEvicted: number;
  /** Spans refused on receipt (by the store or by the receiver before it). */
  readonly spansRejected: number;
}

/** The outcome of one {@link TraceStore.add}. */
export interface AddResult {
  /** Spans now held (a span id already held for its trace counts once and replaces it). */
  readonly accepted: number;
  /** Spans refused because their trace already held `maxSpans` spans or `maxBytes`. */
  readonly rejected: number;
}

/** Which traces {@link TraceStore.list} returns; validated by `parseListFilter`. */
export interface TraceListFilter {
  /** Only traces with a span from this `service.name`; undefined for every service. */
  readonly service?: string;
  /** Only traces whose root span's `service.name` is this; undefined for any. */
  readonly rootService?: string;
  /** Only traces whose root span's name contains this; undefined for any. */
  readonly rootSpanName?: string;
  /** Only traces lasting at least this long, in nanoseconds. */
  readonly minDurationNanos: bigint;
  /** Only traces whose earliest span started at or after this, in unix epoch nanoseconds. */
  readonly sinceUnixNano: bigint;
  /** Most summaries returned. */
  readonly limit: number;
}

/** A page of {@link TraceStore.list}. */
export interface TraceList {
  /** Newest first (by the start of each trace's earliest span). */
  readonly traces: readonly TraceSummary[];
  /** How many traces matched in all. */
  readonly totalMatching: number;
}

class TraceEntry {
  readonly spans = new Map<string, StoredSpan>();
  /** approximateSpanBytes summed over `spans`. */
  bytes = 0;
  private cachedSummary: TraceSummary | undefined;
  constructor(
    readonly traceId: string,
    public lastReceivedMs: number,
  ) {}

  /** Adds or replaces a span; returns the change in bytes held. */
  put(span: StoredSpan, bytes: number): number {
    const previous = this.spans.get(span.spanId);
    const delta = bytes - (previous ? approximateSpanBytes(previous) : 0);
    this.spans.set(span.spanId, span);
    this.bytes += delta;
    this.cachedSummary = undefined;
    return delta;
  }

  summary(): TraceSummary {
    this.cachedSummary ??= summarizeTrace(this.traceId, [...this.spans.values()]);
    return this.cachedSummary;
  }
}

/** The store. Not thread-shared state: one per process, built in the composition root. */
export class TraceStore {
  /** In order of each trace's newest receipt, oldest first (a Map keeps insertion order). */
  private readonly traces = new Map<string, TraceEntry>();
  private spanCount = 0;
  private byteCount = 0;
  private evictedForSpace = 0;
  private evictedForAge = 0;
  private tracesEvicted = 0;
  private rejected = 0;

  constructor(
    readonly limits: TraceStoreLimits,
    private readonly now: () => number = Date.now,
  ) {
    for (const [name, value] of Object.entries(limits)) {
      if (!Number.isInteger(value) || value < 1)
        throw new RangeError(`${name}: expected an integer >= 1, got ${value}`);
    }
  }

  /** Spans held now. */
  get spansHeld(): number {
    return this.spanCount;
  }

  /** Approximate bytes held by spans now (see approximateSpanBytes). */
  get bytesHeld(): number {
    return this.byteCount;
  }

  /** Traces held now. */
  get tracesHeld(): number {
    return this.traces.size;
  }

  /** What was dropped since the start. */
  evictions(): StoreEvictionCounts {
    return {
      spansEvictedForSpace: this.evictedForSpace,
      spansEvictedForAge: this.evictedForAge,
      tracesEvicted: this.tracesEvicted,
      spansRejected: this.rejected,
    };
  }

  /** Counts spans the receiver refused before they reached the store (malformed ids). */
  countRejected(spans: number): void {
    this.rejected += spans;
  }

  /** Adds one batch; then drops expired traces and, oldest first, traces over the bounds. */
  add(spans: readonly StoredSpan[]): AddResult {
    const nowMs = this.now();
    this.dropExpired(nowMs);
    let accepted = 0;
    let rejected = 0;
    for (const span of spans) {
      const existing = this.traces.get(span.traceId);
      const entry = existing ?? new TraceEntry(span.traceId, nowMs);
      if (existing) {
        // Move to the back of the line: the newest receipt decides its place.
        this.traces.delete(span.traceId);
        existing.lastReceivedMs = nowMs;
      }
      const bytes = approximateSpanBytes(span);
      const previous = entry.spans.get(span.spanId);
      const grownBytes = entry.bytes + bytes - (previous ? approximateSpanBytes(previous) : 0);
      if (
        (previous === undefined && entry.spans.size >= this.limits.maxSpans) ||
        grownBytes > this.limits.maxBytes
      ) {
        // One trace may not exceed the store's bounds: its extra spans are refused.
        rejected += 1;
        if (existing) this.traces.set(span.traceId, existing);
        continue;
      }
      this.traces.set(span.traceId, entry);
      // An exporter's retry resends spans: a held span id keeps one copy, the latest.
      this.byteCount += entry.put(span, bytes);
      if (previous === undefined) this.spanCount += 1;
      accepted += 1;
    }
    this.rejected += rejected;
    while (
      this.spanCount > this.limits.maxSpans ||
      this.traces.size > this.limits.maxTraces ||
      this.byteCount > this.limits.maxBytes
    ) {
      const oldest = this.traces.values().next().value as TraceEntry;
      this.evictedForSpace += oldest.spans.size;
      this.remove(oldest);
    }
    return { accepted, rejected };
  }

  /** Drops traces past `maxAgeMs`; the store also does so on every add, list and get. */
  dropExpired(nowMs: number = this.now()): void {
    const cutoff = nowMs - this.limits.maxAgeMs;
    for (const entry of this.traces.values()) {
      if (entry.lastReceivedMs >= cutoff) break;
      this.evictedForAge += entry.spans.size;
      this.remove(entry);
    }
  }

  /** The traces matching `filter`, newest first, at most `filter.limit`. */
  list(filter: TraceListFilter): TraceList {
    this.dropExpired();
    const matching: TraceSummary[] = [];
    for (const entry of this.traces.values()) {
      const summary = entry.summary();
      if (filter.service !== undefined && !summary.services.includes(filter.service)) continue;
      if (filter.rootService !== undefined && summary.rootServiceName !== filter.rootService) continue;
      if (filter.rootSpanName !== undefined && !summary.rootSpanName.includes(filter.rootSpanName)) continue;
      if (summary.durationNanos < filter.minDurationNanos) continue;
      if (summary.startTimeUnixNano < filter.sinceUnixNano) continue;
      matching.push(summary);
    }
    matching.sort((a, b) =>
      a.startTimeUnixNano !== b.startTimeUnixNano
        ? a.startTimeUnixNano > b.startTimeUnixNano
          ? -1
          : 1
        : a.traceId < b.traceId
          ? -1
          : 1,
    );
    return { traces: matching.slice(0, filter.limit), totalMatching: matching.length };
  }

  /** Every held span of one trace in start order, or undefined when none is held. */
  get(traceId: string): readonly StoredSpan[] | undefined {
    this.dropExpired();
    const entry = this.traces.get(traceId);
    return entry ? [...entry.spans.values()].sort(compareSpans) : undefined;
  }

  private remove(entry: TraceEntry): void {
    this.traces.delete(entry.traceId);
    this.spanCount -= entry.spans.size;
    this.byteCount -= entry.bytes;
    this.tracesEvicted += 1;
  }
}
