import type { RegressionMetrics } from '@sightline/stats';
import type { JoinedPair, SeriesKey } from '../domain/records.js';
import { BucketSummary } from './bucket-summary.js';
import { type ClassificationWindowMetrics, pairMetrics } from './window-metrics.js';
import type { SummaryOptions } from './window-options.js';

/** The metrics of a closed count window. */
export interface CountWindowMetrics {
  readonly series: SeriesKey;
  /** 0 for the series' first window since the process started, then 1, 2, ... */
  readonly index: number;
  /** Joined pairs in it (the window size). */
  readonly pairs: number;
  /** Join times of its first and last pair. */
  readonly firstJoinedMs: number;
  readonly lastJoinedMs: number;
  readonly classification?: ClassificationWindowMetrics;
  readonly regression?: RegressionMetrics;
}

/**
 * A window of one series that closes every `size` joined pairs, in join order (beside the time
 * windows, which are by prediction time): the last `size` labels, whatever their age.
 */
export class CountWindow {
  readonly series: SeriesKey;
  readonly size: number;
  readonly #task: 'classification' | 'regression';
  readonly #classes: readonly string[];
  readonly #options: SummaryOptions;
  readonly #confidence: number;
  #current: BucketSummary;
  #pairs = 0;
  #index = 0;
  #firstJoinedMs = 0;

  constructor(
    series: SeriesKey,
    task: 'classification' | 'regression',
    classes: readonly string[],
    size: number,
    options: SummaryOptions,
    confidence: number,
  ) {
    this.series = series;
    this.size = size;
    this.#task = task;
    this.#classes = classes;
    this.#options = options;
    this.#confidence = confidence;
    this.#current = BucketSummary.empty(task, classes, options);
  }

  /** Pairs in the open window. */
  get pending(): number {
    return this.#pairs;
  }

  /**
   * Adds one pair; returns the window's metrics when this pair closed it.
   * @throws InvalidArgumentError as {@link BucketSummary.addPair}; the window is unchanged then.
   */
  add(pair: JoinedPair): CountWindowMetrics | undefined {
    this.#current.addPair(pair);
    if (this.#pairs === 0) this.#firstJoinedMs = pair.joinedMs;
    this.#pairs += 1;
    if (this.#pairs < this.size) return undefined;
    const closed: CountWindowMetrics = {
      series: this.series,
      index: this.#index,
      pairs: this.#pairs,
      firstJoinedMs: this.#firstJoinedMs,
      lastJoinedMs: pair.joinedMs,
      // No F1 bootstrap here: a count window closes on the write path.
      ...pairMetrics(this.#current, this.#confidence, { maxPairs: 0 }),
    };
    this.#index += 1;
    this.#pairs = 0;
    this.#current = BucketSummary.empty(this.#task, this.#classes, this.#options);
    return closed;
  }
}
