/**
 * What the data plane tells the rest of the service, without knowing it: observers of stored
 * predictions and feedback (the annotation queue, alerts), the events it emits (CorrectnessEvent,
 * ConceptDriftEvent) and the counts it keeps (Prometheus).
 */
import type { InferenceEvent } from '@sightline/events';
import type { FeedbackRecord, JoinedPair, PredictionRecord } from '../domain/records.js';
import type { SkipReason } from '../ingest/prediction-from-event.js';
import type { ConceptDriftChange } from '../windows/concept-drift-monitor.js';

/** Told about what was stored; each hook must not throw (errors are logged and ignored). */
export interface DataPlaneObserver {
  /** Predictions stored now (redelivered ones are not repeated), with the events they came from. */
  predictionsStored?(
    stored: readonly { readonly record: PredictionRecord; readonly event: InferenceEvent }[],
  ): void;
  /** Feedback rows stored (joined, pending, replaced), and the pairs they made. */
  feedbackStored?(records: readonly FeedbackRecord[], pairs: readonly JoinedPair[]): void;
  /** Concept-drift state changes the new pairs caused, in join order. */
  conceptDriftChanged?(changes: readonly ConceptDriftChange[]): void;
}

/** One correctness record: a pair made or changed, grouped per request and series when emitted. */
export interface CorrectnessRecord {
  readonly pair: JoinedPair;
  /** True when the pair's truth replaced an earlier one. */
  readonly replaced: boolean;
}

/** Where the data plane's events go (a CloudEvents sink, a test's list). */
export interface MetricsEventSink {
  correctness(pairs: readonly CorrectnessRecord[], traceId: string): void;
  conceptDrift(change: ConceptDriftChange): void;
}

/** What the data plane counts. */
export interface DataPlaneCounters {
  eventSkipped(reason: SkipReason | 'windows_refused' | 'store_rejected'): void;
  predictionsRecorded(series: readonly PredictionRecord[], duplicates: number): void;
  feedbackRows(status: string, count: number): void;
  pairsJoined(pairs: readonly JoinedPair[]): void;
  expired(byModelName: Readonly<Record<string, number>>): void;
  conceptDrift(change: ConceptDriftChange): void;
}
