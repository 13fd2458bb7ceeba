/**
 * The last state change of each series' detectors, kept for ListConceptDrift's state_time and
 * previous_state. The data plane feeds it every PairOutcome's conceptDrift changes. It holds one
 * change per (series, detector), at most `maxEntries` (the least recently changed go first). It lives in memory: after a restart state_time and previous_state stay unset until
 * a detector changes again.
 */
import type { SeriesKey } from '../domain/records.js';
import type { ConceptDriftChange } from '../windows/concept-drift-monitor.js';
import type { ConceptDriftDetectorName } from '../windows/window-options.js';

/** Default bound: 100000 series x 3 detectors. */
export const DEFAULT_MAX_DRIFT_CHANGES = 300_000;

export class ConceptDriftChangeLog {
  readonly #last = new Map<string, ConceptDriftChange>();

  constructor(readonly maxEntries: number = DEFAULT_MAX_DRIFT_CHANGES) {}

  /** Records changes (in the order they happened). */
  record(changes: readonly ConceptDriftChange[]): void {
    for (const change of changes) {
      const k = key(change.series, change.detector);
      // Delete first so the entry moves to the end: Map order is then least recently changed first.
      this.#last.delete(k);
      this.#last.set(k, change);
      if (this.#last.size > this.maxEntries) this.#last.delete(this.#last.keys().next().value!);
    }
  }

  /** The last change of a series' detector, if any since the process started. */
  last(series: SeriesKey, detector: ConceptDriftDetectorName): ConceptDriftChange | undefined {
    return this.#last.get(key(series, detector));
  }
}

function key(series: SeriesKey, detector: string): string {
  return JSON.stringify([series.modelName, series.modelVersion, series.node, detector]);
}
