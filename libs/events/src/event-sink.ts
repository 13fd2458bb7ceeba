import type { InferenceEvent } from './inference-event.js';

/**
 * Where the pipeline delivers events: a file store, Elasticsearch, a CloudEvents
 * broker, an in-process fan-out. The pipeline calls `write` with one batch at a time
 * per sink, in emission order, and retries a failed batch later (from the spill), so a
 * sink must be idempotent by `eventId`.
 */
export interface EventSink {
  /** A short, stable name: the label of this sink's counters and its spill sub-directory. */
  readonly name: string;
  /**
   * Delivers a batch. Resolves when every event is stored or accepted downstream.
   * Throw {@link SinkWriteError} to say which events to retry and which were refused for
   * good; any other error retries the whole batch.
   */
  write(events: readonly InferenceEvent[]): Promise<void>;
  /** Releases connections and files; called once by the pipeline's `close`. */
  close(): Promise<void>;
}

/**
 * A batch that was delivered in part. `retryable` events go back to the spill and are
 * retried; `rejected` ones were refused for good (e.g. a 400 from the receiver) and are
 * counted and logged, since retrying them would block every event behind them.
 */
export class SinkWriteError extends Error {
  constructor(
    message: string,
    readonly retryable: readonly InferenceEvent[],
    readonly rejected: readonly InferenceEvent[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SinkWriteError';
  }
}
