/**
 * The metrics service's durable store: logged predictions, delayed feedback, the pairs they
 * join into, per-bucket metric summaries and a small document collection. One interface, two
 * backends (SQLite embedded, PostgreSQL shared by replicas) that pass one test suite.
 *
 * Every method is async (pg is) and every write call is one transaction: when its promise
 * resolves the write is durable, so the caller may acknowledge it.
 */
import type { FeedbackRecord, JoinedPair, PredictionRecord, SeriesKey, Truth } from '../domain/records.js';

/** An item of a write call that was refused alone; the rest of the call went ahead. */
export interface ItemRejection {
  /** The item's index in the call's array. */
  readonly index: number;
  /** The field that broke a rule, e.g. `row`. */
  readonly field: string;
  /** One sentence naming the field and the rule. */
  readonly message: string;
}

/** A prediction stored now, one whose eventId was stored already, or one refused. */
export type PredictionStatus = 'recorded' | 'duplicate' | 'rejected';

/** What `recordPredictions` did. */
export interface RecordPredictionsResult {
  /** Predictions stored now. */
  readonly recorded: number;
  /** Predictions whose eventId was stored already (a redelivered event): nothing changed. */
  readonly duplicates: number;
  /** Predictions refused alone. */
  readonly rejected: readonly ItemRejection[];
  /** What happened to each prediction, in the call's order. */
  readonly statuses: readonly PredictionStatus[];
  /** The pairs the new predictions made with feedback that had arrived first. */
  readonly pairs: readonly JoinedPair[];
}

/** A pair whose truth changed: the windows take `before` out and count `after`. */
export interface ReplacedPair {
  readonly before: JoinedPair;
  readonly after: JoinedPair;
}

/**
 * What happened to one feedback item:
 * - `joined`: stored and joined to at least one prediction row (`pairs`);
 * - `pending`: stored, no prediction to join yet (held until one arrives or it expires);
 * - `outranked`: stored, its prediction row(s) exist but more specific feedback (naming the
 *   model or node) judges them; it is not pending and never expires (a later shadow prediction
 *   it judges still joins it);
 * - `unchanged`: the same truth was stored already under the same key: nothing changed;
 * - `replaced`: a different truth replaced the one stored under the same key (`replaced`);
 * - `rejected`: refused alone (see the result's `rejected`).
 * A named feedback also takes over pairs an unnamed ('') one had judged: those come back in
 * `replaced` too, with status `joined`.
 */
export type FeedbackStatus = 'joined' | 'pending' | 'outranked' | 'unchanged' | 'replaced' | 'rejected';

/** The outcome of one feedback item, in the call's order. */
export interface FeedbackOutcome {
  readonly status: FeedbackStatus;
  /** Pairs this item made that did not exist before. */
  readonly pairs: readonly JoinedPair[];
  /** Pairs whose truth this item changed. */
  readonly replaced: readonly ReplacedPair[];
}

/** What `recordFeedback` did. */
export interface RecordFeedbackResult {
  /** One outcome per item, in order. */
  readonly outcomes: readonly FeedbackOutcome[];
  /** The items refused alone. */
  readonly rejected: readonly ItemRejection[];
}

/** Feedback removed by `expirePending` because it never joined within its time-to-live. */
export interface ExpiryResult {
  readonly expired: number;
  /** By the feedback's model name ('' for feedback that named none). */
  readonly byModelName: Readonly<Record<string, number>>;
}

/** One series and a prediction-time range [fromMs, toMs). */
export interface SeriesRangeQuery {
  readonly modelName: string;
  /** Only this version; every version when undefined. */
  readonly modelVersion?: string;
  /** Only this graph node; every node when undefined. */
  readonly node?: string;
  readonly fromMs: number;
  readonly toMs: number;
}

/** A page request over `joinedPairs`. */
export interface JoinedPairsQuery extends SeriesRangeQuery {
  /** The `next` cursor of the previous page; the first page when undefined. */
  readonly cursor?: string;
  /** At most this many pairs (bounded by the store's `maxPageSize`). */
  readonly pageSize?: number;
}

/** One page of pairs in prediction-time order (then event id, then row). */
export interface JoinedPairsPage {
  readonly pairs: readonly JoinedPair[];
  /** Pass back as `cursor` for the next page; undefined on the last page. */
  readonly next?: string;
}

/** Counts behind "feedback coverage" for one series and range. */
export interface SeriesCounts {
  /** Prediction rows of the series with prediction time in range. */
  readonly predictedRows: number;
  /** Of those, the rows joined to a truth. */
  readonly joinedRows: number;
  /** `predictedRows - joinedRows`. */
  readonly rowsWithoutFeedback: number;
  /** Feedback items naming the series' model (exactly) received in [fromMs, toMs). */
  readonly feedbackRows: number;
  /** Feedback items naming the series' model that wait for a prediction now (any time). */
  readonly pending: number;
  /** Feedback items naming the series' model expired since the store was created. */
  readonly expired: number;
}

/** A windows' accumulator for one series and time bucket, as JSON. */
export interface SummaryRecord {
  readonly seriesKey: string;
  readonly bucketStartMs: number;
  /** JSON text, stored and returned as is. */
  readonly summary: string;
}

/**
 * A bucket to fold into the stored one: `fold` gets the stored summary (undefined when there is
 * none) and returns the summary to store, inside the write's transaction.
 */
export interface SummaryFold {
  readonly seriesKey: string;
  readonly bucketStartMs: number;
  readonly fold: (stored: string | undefined) => string;
}

/** A stored document. */
export interface StoredDocument {
  readonly id: string;
  /** JSON text, stored and returned as is. */
  readonly json: string;
}

/** One page of a collection, in id order. */
export interface DocumentPage {
  readonly documents: readonly StoredDocument[];
  /** Pass as `after` for the next page; undefined on the last page. */
  readonly next?: string;
}

/** What `deleteBefore` removed. */
export interface RetentionResult {
  readonly predictions: number;
  readonly pairs: number;
  readonly feedback: number;
  readonly summaries: number;
}

/** The store. */
export interface MetricsStore {
  /**
   * Stores predictions (idempotent by eventId) and joins each at once with the feedback
   * stored for its request id. `nowMs` becomes the new pairs' `joinedMs`.
   */
  recordPredictions(records: readonly PredictionRecord[], nowMs: number): Promise<RecordPredictionsResult>;
  /** Upserts feedback by (requestId, modelName, row) and joins it; see `FeedbackStatus`. */
  recordFeedback(items: readonly FeedbackRecord[], nowMs: number): Promise<RecordFeedbackResult>;
  /** Removes feedback that never joined and was received before `nowMs - ttlMs`. */
  expirePending(nowMs: number, ttlMs: number): Promise<ExpiryResult>;
  /** Feedback waiting for its prediction now, all models. */
  pendingCount(): Promise<number>;
  /** One page of a series' pairs with prediction time in range. */
  joinedPairs(query: JoinedPairsQuery): Promise<JoinedPairsPage>;
  /** The coverage counts of a series and range. */
  counts(query: SeriesRangeQuery): Promise<SeriesCounts>;
  /**
   * Feedback naming no model: rows waiting for their prediction now, and rows expired since the
   * store was created (unnamed feedback cannot be told apart by model before it joins).
   */
  unnamedFeedbackCounts(): Promise<{ readonly pending: number; readonly expired: number }>;
  /** Upserts summaries by (seriesKey, bucketStartMs). */
  putSummaries(records: readonly SummaryRecord[]): Promise<void>;
  /**
   * Reads, folds and writes buckets in one transaction, the stored rows locked against other
   * writers (PostgreSQL: `SELECT ... FOR UPDATE`; SQLite: one writer per file), so replicas that
   * fold their deltas into one bucket at once lose none. A `fold` that throws aborts the whole
   * call: nothing is written.
   */
  foldSummaries(folds: readonly SummaryFold[]): Promise<void>;
  /** The summaries of a series with bucket start in [fromMs, toMs), in bucket order. */
  summaries(seriesKey: string, fromMs: number, toMs: number): Promise<SummaryRecord[]>;
  /** Creates or replaces a document. */
  putDocument(collection: string, id: string, json: string): Promise<void>;
  /** A document's JSON, or undefined when there is none. */
  getDocument(collection: string, id: string): Promise<string | undefined>;
  /** A page of a collection in id order, after the id `after` when given. */
  listDocuments(collection: string, options?: { pageSize?: number; after?: string }): Promise<DocumentPage>;
  /** Deletes a document; true when it existed. */
  deleteDocument(collection: string, id: string): Promise<boolean>;
  /**
   * Removes predictions and pairs with prediction time before `timeMs`, feedback received
   * before it and summaries whose bucket starts before it, in transactions of at most
   * `retentionBatchSize` rows each, yielding to the event loop between them.
   */
  deleteBefore(timeMs: number): Promise<RetentionResult>;
  /** Closes the store; later calls fail. */
  close(): Promise<void>;
}

export type { FeedbackRecord, JoinedPair, PredictionRecord, SeriesKey, Truth };
