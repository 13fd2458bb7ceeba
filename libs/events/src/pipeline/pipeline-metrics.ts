/** The per-sink counters of the event pipeline. */
export type PipelineCounterName =
  /** Events handed to the sink's lane by `emit`. */
  | 'emitted'
  /** Events the sink accepted (directly or on replay). */
  | 'delivered'
  /** Events written to the spill directory (queue full or sink failing). */
  | 'spilled'
  /** Events delivered from the spill (a subset of delivered). */
  | 'replayed'
  /** Events lost: the spill's byte limit was hit, or emitted after close. Always logged. */
  | 'dropped'
  /** Events the sink refused for good (e.g. HTTP 400); logged, never retried. */
  | 'rejected';

/** Every counter name, for wiring and for zeroed snapshots. */
export const PIPELINE_COUNTER_NAMES: readonly PipelineCounterName[] = [
  'emitted',
  'delivered',
  'spilled',
  'replayed',
  'dropped',
  'rejected',
];

/**
 * Receives counter increments as they happen. The service implements it with a
 * prom-client Counter labelled by sink and counter (see README); this library imports no
 * metrics library and registers nothing globally.
 */
export interface PipelineMetricsRecorder {
  increment(sink: string, counter: PipelineCounterName, by: number): void;
}

/** A point-in-time view of one sink's lane, for gauges and tests. */
export interface SinkLaneStats {
  /** Counter totals since the pipeline started. */
  readonly counters: Readonly<Record<PipelineCounterName, number>>;
  /** Events waiting in memory. */
  readonly queueDepth: number;
  /** Bytes in this sink's spill directory. */
  readonly spillBytes: number;
  /** Spill files waiting for replay. */
  readonly spillFiles: number;
  /** `direct` while the sink keeps up; `spilling` while new events go through the disk. */
  readonly mode: 'direct' | 'spilling';
}
