/**
 * The metrics service's own Prometheus series (`sightline_metrics_*`): events received and
 * skipped, predictions and pairs per series, feedback rows by outcome, pending and expired
 * feedback, concept-drift changes, the flush loop, the event sink's drops, and the windowed
 * metric values of every series over the export window (`sightline_metrics_window_value`), so
 * Prometheus and Alertmanager read a model's accuracy, MAE or coverage like any other gauge.
 * Series labels are bounded by --max-series.
 */
import type { IngressObserver } from '@sightline/events';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { JoinedPair, PredictionRecord, SeriesKey } from '../domain/records.js';
import type { PersistenceObserver } from '../service/bucket-persistence.js';
import type { DataPlaneCounters } from '../service/data-plane-hooks.js';
import type { ConceptDriftChange } from '../windows/concept-drift-monitor.js';

const SERIES_LABELS = ['model_name', 'model_version', 'node'] as const;
const DRIFT_LEVEL: Readonly<Record<string, number>> = { stable: 0, warning: 1, drift: 2 };

/** A span in seconds as Prometheus writes durations: `1h`, `15m`, `90s`. */
function spanLabel(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

const seriesLabels = (s: SeriesKey) => ({
  model_name: s.modelName,
  model_version: s.modelVersion,
  node: s.node,
});

/** One exported windowed value. */
export interface ExportedValue {
  readonly series: SeriesKey;
  /** e.g. `accuracy`, `macro_f1`, `mae`, `coverage`, `estimated_accuracy`. */
  readonly metric: string;
  readonly value: number;
}

/** Every series of the service, registered on the composition root's registry. */
export class MetricsServiceMetrics implements IngressObserver, DataPlaneCounters, PersistenceObserver {
  readonly #received: Counter;
  readonly #duplicates: Counter;
  readonly #refused: Counter<'reason'>;
  readonly #skipped: Counter<'reason'>;
  readonly #predictions: Counter<(typeof SERIES_LABELS)[number]>;
  readonly #pairs: Counter<(typeof SERIES_LABELS)[number]>;
  readonly #feedback: Counter<'status'>;
  readonly #expired: Counter<'model_name'>;
  readonly #drift: Counter<(typeof SERIES_LABELS)[number] | 'detector' | 'state'>;
  readonly #flushed: Counter;
  readonly #flushFailures: Counter;
  readonly #dropped: Counter;
  readonly #sinkDropped: Counter<'reason'>;
  readonly #window: Gauge<(typeof SERIES_LABELS)[number] | 'metric' | 'window'>;
  readonly #windowLabel: string;
  readonly #pending: Gauge<'model_name'>;
  readonly #driftState: Gauge<(typeof SERIES_LABELS)[number] | 'detector'>;

  constructor(
    registry: Registry,
    sources: {
      readonly queueDepth: () => number;
      /** How long the oldest event not yet stored has waited, in seconds (0: none waits). */
      readonly queueAgeSeconds: () => number;
      /** Pending feedback rows by the model they name ('' for feedback naming none). */
      readonly pending: () => Readonly<Record<string, number>>;
      readonly unflushed: () => number;
      readonly exportWindowSeconds: number;
    },
  ) {
    const registers = [registry];
    this.#received = new Counter({
      name: 'sightline_metrics_events_received_total',
      help: 'Inference events received on POST /events and the in-process bus.',
      registers,
    });
    this.#duplicates = new Counter({
      name: 'sightline_metrics_events_duplicate_total',
      help: 'Events dropped as redelivered (same event id within the deduplication window).',
      registers,
    });
    this.#refused = new Counter({
      name: 'sightline_metrics_events_refused_total',
      help: 'POST /events requests refused, by reason (full: 429, stopped: 503, invalid: 400, too_large: 413, method: 405).',
      labelNames: ['reason'],
      registers,
    });
    this.#skipped = new Counter({
      name: 'sightline_metrics_events_skipped_total',
      help: 'Events that gave no prediction, by reason (failed_request, no_outputs, unreadable_output, no_request_id, windows_refused, store_rejected).',
      labelNames: ['reason'],
      registers,
    });
    this.#predictions = new Counter({
      name: 'sightline_metrics_predictions_total',
      help: 'Prediction records (requests) stored, by series.',
      labelNames: SERIES_LABELS,
      registers,
    });
    this.#pairs = new Counter({
      name: 'sightline_metrics_pairs_joined_total',
      help: 'Prediction rows joined to their truth (new pairs), by series.',
      labelNames: SERIES_LABELS,
      registers,
    });
    this.#feedback = new Counter({
      name: 'sightline_metrics_feedback_rows_total',
      help: 'Feedback rows received, by outcome (joined, pending, unchanged, replaced, rejected; all: every row).',
      labelNames: ['status'],
      registers,
    });
    this.#expired = new Counter({
      name: 'sightline_metrics_feedback_expired_total',
      help: 'Feedback rows expired unjoined after --pending-feedback-ttl-ms, by the model they named ("" for none).',
      labelNames: ['model_name'],
      registers,
    });
    this.#drift = new Counter({
      name: 'sightline_metrics_concept_drift_changes_total',
      help: 'Concept-drift state changes, by series, detector and the state entered (stable, warning, drift).',
      labelNames: [...SERIES_LABELS, 'detector', 'state'],
      registers,
    });
    this.#flushed = new Counter({
      name: 'sightline_metrics_buckets_flushed_total',
      help: 'Window buckets folded into the store.',
      registers,
    });
    this.#flushFailures = new Counter({
      name: 'sightline_metrics_flush_failures_total',
      help: 'Flushes of window buckets that failed (kept and retried).',
      registers,
    });
    this.#dropped = new Counter({
      name: 'sightline_metrics_buckets_dropped_total',
      help: 'Unflushed window buckets dropped past their bound after failed flushes (their counts are lost from the windows, not the pairs from the store).',
      registers,
    });
    this.#sinkDropped = new Counter({
      name: 'sightline_metrics_sink_events_dropped_total',
      help: 'Correctness and concept-drift events not delivered to --metrics-event-sink-url, by reason.',
      labelNames: ['reason'],
      registers,
    });
    new Gauge({
      name: 'sightline_metrics_event_queue_depth',
      help: 'Inference events waiting to be stored.',
      registers,
      collect() {
        this.set(sources.queueDepth());
      },
    });
    new Gauge({
      name: 'sightline_metrics_event_queue_age_seconds',
      help: 'How long the oldest inference event not yet stored has waited, in seconds (0 when none waits): how far predictions (and so their joins to feedback) lag the stream.',
      registers,
      collect() {
        this.set(sources.queueAgeSeconds());
      },
    });
    this.#pending = new Gauge({
      name: 'sightline_metrics_pending_feedback',
      help: 'Feedback rows waiting for their prediction now, by the model they name ("" for none), as of the last expiry check.',
      labelNames: ['model_name'],
      registers,
      collect() {
        this.reset();
        for (const [model_name, n] of Object.entries(sources.pending())) this.set({ model_name }, n);
      },
    });
    this.#driftState = new Gauge({
      name: 'sightline_metrics_concept_drift_state',
      help: 'Each concept-drift detector state per series: 0 stable, 1 warning, 2 drift (a detector restarts after a drift, so 2 shows briefly).',
      labelNames: [...SERIES_LABELS, 'detector'],
      registers,
    });
    new Gauge({
      name: 'sightline_metrics_unflushed_buckets',
      help: 'Window bucket deltas waiting for a successful flush.',
      registers,
      collect() {
        this.set(sources.unflushed());
      },
    });
    this.#windowLabel = spanLabel(sources.exportWindowSeconds);
    this.#window = new Gauge({
      name: 'sightline_metrics_window_value',
      help: `Windowed metrics of every series over the trailing --export-window-ms (the window label), by metric: accuracy, macro_f1, weighted_f1, log_loss, roc_auc, mae, rmse, mse, r2, coverage, pairs, predictions, estimated_accuracy, estimated_accuracy_gap.`,
      labelNames: [...SERIES_LABELS, 'metric', 'window'],
      registers,
    });
  }

  received(events: number, duplicates: number): void {
    this.#received.inc(events);
    if (duplicates > 0) this.#duplicates.inc(duplicates);
  }

  refused(reason: 'full' | 'stopped' | 'invalid' | 'too_large' | 'method'): void {
    this.#refused.inc({ reason });
  }

  eventSkipped(reason: string): void {
    this.#skipped.inc({ reason });
  }

  predictionsRecorded(records: readonly PredictionRecord[]): void {
    for (const r of records) this.#predictions.inc(seriesLabels(r));
  }

  feedbackRows(status: string, count: number): void {
    this.#feedback.inc({ status }, count);
  }

  pairsJoined(pairs: readonly JoinedPair[]): void {
    for (const p of pairs) this.#pairs.inc(seriesLabels(p.series));
  }

  expired(byModelName: Readonly<Record<string, number>>): void {
    for (const [model_name, n] of Object.entries(byModelName)) this.#expired.inc({ model_name }, n);
  }

  conceptDrift(change: ConceptDriftChange): void {
    this.#drift.inc({ ...seriesLabels(change.series), detector: change.detector, state: change.to });
    this.#driftState.set(
      { ...seriesLabels(change.series), detector: change.detector },
      DRIFT_LEVEL[change.to] ?? 0,
    );
  }

  /** Sets every detector's current state (at start and each export, so restored states show). */
  conceptDriftStates(states: readonly { series: SeriesKey; detector: string; state: string }[]): void {
    for (const s of states)
      this.#driftState.set({ ...seriesLabels(s.series), detector: s.detector }, DRIFT_LEVEL[s.state] ?? 0);
  }

  flushed(buckets: number): void {
    this.#flushed.inc(buckets);
  }

  flushFailed(): void {
    this.#flushFailures.inc();
  }

  dropped(buckets: number): void {
    this.#dropped.inc(buckets);
  }

  sinkEventDropped(reason: 'queue_full' | 'failed'): void {
    this.#sinkDropped.inc({ reason });
  }

  /** Replaces the exported windowed values (series gone from the window disappear). */
  exportWindowValues(values: readonly ExportedValue[]): void {
    this.#window.reset();
    for (const v of values) {
      if (Number.isFinite(v.value))
        this.#window.set({ ...seriesLabels(v.series), metric: v.metric, window: this.#windowLabel }, v.value);
    }
  }
}
