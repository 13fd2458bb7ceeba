/**
 * What the metrics service stores and joins, as plain data: predictions (read from
 * InferenceEvents), ground truth ("feedback", arriving hours or days later) and the pairs they
 * make once joined. No transport types: the gRPC and event layers convert into these.
 *
 * Times are milliseconds since the epoch (UTC). Rows are 0-based indices into the prediction's
 * batch: a request of 32 rows is one prediction with 32 rows, each judged on its own.
 */

/** Which model answered, where: the key every metric is kept under (with the segment). */
export interface SeriesKey {
  /** The model (or, for a graph's final answer, the graph) name. */
  readonly modelName: string;
  /** The model version; '' when the event carried none. */
  readonly modelVersion: string;
  /** The graph node that made the prediction ('' outside a graph or for its final answer). */
  readonly node: string;
}

/** One row of a prediction, as the metrics need it. */
export interface PredictionRow {
  /** The row's index in the request's batch. */
  readonly row: number;
  /** Classification: the predicted class label (a class name, or a decimal index). */
  readonly label?: string;
  /** Classification: the class probabilities in `PredictionRecord.classes` order, when logged. */
  readonly probabilities?: readonly number[];
  /** Regression: the predicted value(s) of the row (one per output element). */
  readonly values?: readonly number[];
  /** The row's segment values (e.g. country: "fr"), by segment name, from its inputs or parameters. */
  readonly segments?: Readonly<Record<string, string>>;
}

/** What a model predicted for one request: one InferenceEvent's share the metrics keep. */
export interface PredictionRecord extends SeriesKey {
  /** The InferenceEvent's id: a redelivered event has the same one and changes nothing. */
  readonly eventId: string;
  /** The request id the feedback names. */
  readonly requestId: string;
  /** The graph the request went through; '' when it called the model directly. */
  readonly graph: string;
  /** The output tensor the rows were read from. */
  readonly outputName: string;
  /** When the prediction was made. */
  readonly timeMs: number;
  /** The request's latency in ms as the event recorded it; undefined when absent. */
  readonly latencyMs?: number;
  /** The task the rows are for. */
  readonly task: 'classification' | 'regression';
  /** Classification: the class labels, in probability order; empty when unknown. */
  readonly classes: readonly string[];
  /** The rows (at least one). */
  readonly rows: readonly PredictionRow[];
}

/** Ground truth for one row. */
export type Truth =
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'value'; readonly values: readonly number[] }
  | { readonly kind: 'reward'; readonly reward: number };

/** Ground truth for one row of a request, as sent by SendFeedback or an annotator. */
export interface FeedbackRecord {
  /** The prediction's request id. */
  readonly requestId: string;
  /**
   * Only the predictions of this model (or graph node) are judged; '' judges every prediction
   * stored under the request id (the live model and its shadow alike, which is what a
   * comparison on the same traffic needs).
   */
  readonly modelName: string;
  /** The row judged. */
  readonly row: number;
  /** The truth. */
  readonly truth: Truth;
  /** When the truth was observed (defaults to receivedMs). */
  readonly observedMs: number;
  /** When the service acknowledged it. */
  readonly receivedMs: number;
}

/** A prediction row and its truth: what every windowed metric is computed from. */
export interface JoinedPair {
  /** The prediction's series. */
  readonly series: SeriesKey;
  /** The prediction's event id and request id. */
  readonly eventId: string;
  readonly requestId: string;
  /** The prediction time (windows are by prediction time). */
  readonly predictionMs: number;
  /** When the pair was joined (join order feeds the concept drift detectors). */
  readonly joinedMs: number;
  /** The task. */
  readonly task: 'classification' | 'regression';
  /** Classification: the class labels in probability order. */
  readonly classes: readonly string[];
  /** The prediction row. */
  readonly prediction: PredictionRow;
  /** Its truth. */
  readonly truth: Truth;
}
