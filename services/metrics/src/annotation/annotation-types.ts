/**
 * The annotation queue's plain data: settings, items and what the hooks receive. No transport
 * types; src/contract/annotation-messages.ts converts.
 */
import type { Tensor } from '@sightline/tensor';
import type { FeedbackRecord, PredictionRecord, SeriesKey, Truth } from '../domain/records.js';
import type { FeedbackStatus } from '../store/metrics-store.js';

export type AnnotationPolicyName = 'uniform' | 'least_confident' | 'outliers_first' | 'shadow_disagreement';
export type AnnotationItemStateName = 'open' | 'leased' | 'answered' | 'skipped';

/** A queue's settings as a caller gives them (unset fields take defaults). */
export interface QueueSettingsInput {
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly node?: string;
  /** undefined is "not set" (rule "queue.policy_set"). */
  readonly policy: AnnotationPolicyName | undefined;
  readonly sampleRate?: number;
  /** 0 or undefined means the default (1000). */
  readonly capacity?: number;
  readonly shadow?: string;
  readonly outlierDetector?: string;
  readonly itemTtlMs?: number;
}

/** A queue's settings, checked and with defaults filled in. */
export interface QueueSettings {
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly node?: string;
  readonly policy: AnnotationPolicyName;
  readonly sampleRate: number;
  readonly capacity: number;
  readonly shadow: string;
  readonly outlierDetector: string;
  readonly itemTtlMs: number;
}

/** Counts since the queue was created (open and leased are "now"). */
export interface QueueCounts {
  open: number;
  leased: number;
  answered: number;
  skipped: number;
  dropped: number;
  expired: number;
  labelledElsewhere: number;
}

/** A queue with its times and counts. */
export interface QueueView {
  readonly settings: QueueSettings;
  readonly createMs: number;
  readonly updateMs: number;
  readonly counts: Readonly<QueueCounts>;
}

/** One prediction row as an item shows it. */
export interface PredictedRowView {
  readonly label?: string;
  readonly probabilities?: readonly number[];
  readonly classes: readonly string[];
  readonly values?: readonly number[];
}

/** One input tensor sliced to the item's row (first dimension 1), as raw little-endian bytes. */
export interface ItemInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly raw: Uint8Array;
}

/** Why an item was picked. */
export interface ItemReason {
  readonly policy: AnnotationPolicyName;
  /** Higher is labelled first (UNIFORM: the random key that keeps the reservoir uniform). */
  readonly score: number;
  readonly explanation: string;
}

/** One prediction row picked for labelling. */
export interface AnnotationItemView {
  readonly itemId: string;
  readonly series: SeriesKey;
  readonly requestId: string;
  readonly row: number;
  readonly predictionMs: number;
  readonly task: 'classification' | 'regression';
  readonly inputs: readonly ItemInput[];
  readonly inputsTruncated: boolean;
  readonly prediction: PredictedRowView;
  readonly shadowPrediction?: PredictedRowView;
  readonly reason: ItemReason;
  readonly state: AnnotationItemStateName;
  /** LEASED: who holds it; ANSWERED/SKIPPED: who answered. */
  readonly annotator: string;
  /** LEASED: when the lease ends. */
  readonly leaseExpireMs?: number;
  readonly createMs: number;
  /** ANSWERED/SKIPPED: when. */
  readonly closeMs?: number;
}

/** An annotator's answer. */
export type AnnotationAnswer = { readonly kind: 'skip' } | { readonly kind: 'truth'; readonly truth: Truth };

/** What the feedback port answers per item (the store's outcome, reduced to what a caller sees). */
export interface AnnotationFeedbackOutcome {
  readonly status: FeedbackStatus;
  /** `rejected`: one sentence naming the field and the rule. */
  readonly reason?: string;
  /** Prediction rows the feedback judged now. */
  readonly pairs: number;
}

/**
 * Where answers go: the core stores them exactly as SendFeedback does (durably, joined,
 * counted in the windows) and answers one outcome per item, in order.
 */
export interface AnnotationFeedbackPort {
  recordFeedback(items: readonly FeedbackRecord[]): Promise<readonly AnnotationFeedbackOutcome[]>;
}

/** The predictions-stored hook's item. */
export interface StoredPrediction {
  readonly record: PredictionRecord;
  /** The request's input tensors (first dimension = rows); empty when the event logged none. */
  readonly inputs: readonly Tensor[];
  /** Rows that already have a truth (feedback that arrived first joined them): not offered. */
  readonly labelledRows?: readonly number[];
}

/** The feedback-stored hook's item: one truth row stored by any way. */
export interface StoredFeedback {
  readonly requestId: string;
  readonly row: number;
  /** '' judges every model's prediction of the row. */
  readonly modelName: string;
}

/** The outlier-event hook's item. */
export interface ReceivedOutlierScores {
  readonly detector: string;
  readonly requestId: string;
  /** One score per row of the request. */
  readonly instanceScores: readonly number[];
}

/**
 * What the core's data plane calls (the integrator adapts the core's observer to it), after
 * the store acknowledged the predictions, feedback or event. Each returns once the queues'
 * documents are written; none throws for a row it cannot use (such rows are not queued), and
 * each rejects only when the store fails to write: the caller logs that and goes on, since
 * the data is stored and the queue is a sample.
 */
export interface AnnotationHooks {
  predictionsStored(items: readonly StoredPrediction[]): Promise<void>;
  feedbackStored(items: readonly StoredFeedback[]): Promise<void>;
  outlierScoresReceived(event: ReceivedOutlierScores): Promise<void>;
}
