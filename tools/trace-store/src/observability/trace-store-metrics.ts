/**
 * The trace store's Prometheus series (`sightline_trace_store_*`): what it holds, what it
 * received, refused and dropped. Store-derived values are read from the store at scrape
 * time, so the store itself knows nothing of metrics.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ExportOutcome } from '../otlp/otlp-http-receiver.js';
import type { TraceStore } from '../store/trace-store.js';

/** Registers the series on `registry`; `exported` is called for each OTLP export. */
export class TraceStoreMetrics {
  private readonly received: Counter<'encoding'>;
  private readonly refused: Counter<'status'>;

  constructor(registry: Registry, store: TraceStore) {
    new Gauge({
      name: 'sightline_trace_store_spans',
      help: 'Spans held in the trace store now.',
      registers: [registry],
      collect() {
        this.set(store.spansHeld);
      },
    });
    new Gauge({
      name: 'sightline_trace_store_bytes',
      help: 'Approximate memory held by spans now, in bytes (bounded by --max-bytes).',
      registers: [registry],
      collect() {
        this.set(store.bytesHeld);
      },
    });
    new Gauge({
      name: 'sightline_trace_store_traces',
      help: 'Traces held in the trace store now.',
      registers: [registry],
      collect() {
        this.set(store.tracesHeld);
      },
    });
    new Counter({
      name: 'sightline_trace_store_spans_evicted_total',
      help: 'Spans dropped to stay within the bounds, by reason (space: --max-spans/--max-traces/--max-bytes, age: --max-age-ms).',
      labelNames: ['reason'] as const,
      registers: [registry],
      collect() {
        const counts = store.evictions();
        this.reset();
        this.inc({ reason: 'space' }, counts.spansEvictedForSpace);
        this.inc({ reason: 'age' }, counts.spansEvictedForAge);
      },
    });
    new Counter({
      name: 'sightline_trace_store_spans_rejected_total',
      help: 'Spans refused on receipt (malformed ids, or over --max-spans or --max-bytes in one trace).',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(store.evictions().spansRejected);
      },
    });
    this.received = new Counter({
      name: 'sightline_trace_store_spans_received_total',
      help: 'Spans accepted from OTLP/HTTP exports, by body encoding (protobuf, json).',
      labelNames: ['encoding'] as const,
      registers: [registry],
    });
    this.refused = new Counter({
      name: 'sightline_trace_store_otlp_refused_total',
      help: 'OTLP/HTTP requests refused (4xx, or 503 when --max-concurrent-exports are in flight), by status.',
      labelNames: ['status'] as const,
      registers: [registry],
    });
  }

  /** Counts one answered export. */
  exported(outcome: ExportOutcome): void {
    this.received.inc({ encoding: outcome.encoding }, outcome.accepted);
  }

  /** Counts one refused request. */
  refusedWith(status: number): void {
    this.refused.inc({ status: String(status) });
  }
}
