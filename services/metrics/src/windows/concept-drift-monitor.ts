import { InvalidArgumentError } from '@sightline/errors';
import {
  Adwin,
  type AdwinJson,
  type ConceptDriftDetector,
  Ddm,
  type DdmJson,
  type DriftState,
  PageHinkley,
  type PageHinkleyJson,
} from '@sightline/stats';
import type { JoinedPair, SeriesKey } from '../domain/records.js';
import { pairLoss } from './pair-values.js';
import type { ConceptDriftDetectorName, ConceptDriftOptions } from './window-options.js';

/** Version of {@link ConceptDriftMonitorJson}. */
export const CONCEPT_DRIFT_MONITOR_SCHEMA_VERSION = 1;

/** A detector's state change, for the service to emit as an event. */
export interface ConceptDriftChange {
  readonly series: SeriesKey;
  readonly detector: ConceptDriftDetectorName;
  readonly from: DriftState;
  readonly to: DriftState;
  /** Pairs the series' detectors had seen, this one included (join order). */
  readonly pairsSeen: number;
  /** The join time of the pair that changed the state. */
  readonly timeMs: number;
}

/** Saved form of a {@link ConceptDriftMonitor}. */
export interface ConceptDriftMonitorJson {
  readonly schemaVersion: number;
  readonly series: SeriesKey;
  readonly task: 'classification' | 'regression';
  readonly pairsSeen: number;
  readonly detectors: {
    readonly ddm?: DdmJson;
    readonly adwin?: AdwinJson;
    readonly pageHinkley?: PageHinkleyJson;
  };
}

/**
 * The concept-drift detectors of one series over its correctness stream (classification: 1 when
 * the prediction was wrong) or error stream (regression: the absolute error), in join order.
 * DDM reads 0/1 values and so runs on classification series only. A detector's state after a
 * value is compared with its state before it; each difference is one {@link ConceptDriftChange}
 * (a `drift` is followed by a fresh detector, so the next value usually reads `stable` again:
 * that return is a change too).
 */
export class ConceptDriftMonitor {
  readonly series: SeriesKey;
  readonly task: 'classification' | 'regression';
  readonly #detectors: Map<ConceptDriftDetectorName, ConceptDriftDetector & { toJSON(): unknown }>;
  #pairsSeen = 0;

  private constructor(
    series: SeriesKey,
    task: 'classification' | 'regression',
    detectors: Map<ConceptDriftDetectorName, ConceptDriftDetector & { toJSON(): unknown }>,
  ) {
    this.series = series;
    this.task = task;
    this.#detectors = detectors;
  }

  /**
   * Fresh detectors for a series.
   * @throws InvalidArgumentError naming a bad detector parameter.
   */
  static create(
    series: SeriesKey,
    task: 'classification' | 'regression',
    options: Required<ConceptDriftOptions>,
  ): ConceptDriftMonitor {
    const detectors = new Map<ConceptDriftDetectorName, ConceptDriftDetector & { toJSON(): unknown }>();
    for (const name of options.detectors) {
      if (name === 'ddm' && task === 'classification') detectors.set(name, new Ddm(options.ddm));
      if (name === 'adwin') detectors.set(name, new Adwin(options.adwin));
      if (name === 'pageHinkley') detectors.set(name, new PageHinkley(options.pageHinkley));
    }
    return new ConceptDriftMonitor(series, task, detectors);
  }

  /** Pairs seen. */
  get pairsSeen(): number {
    return this.#pairsSeen;
  }

  /** Each detector's current state. */
  states(): Partial<Record<ConceptDriftDetectorName, DriftState>> {
    return Object.fromEntries([...this.#detectors].map(([name, d]) => [name, d.state]));
  }

  /**
   * Feeds one joined pair; returns the state changes it caused, in detector order.
   * @throws InvalidArgumentError when the pair's task differs or its values are unusable.
   */
  observe(pair: JoinedPair): ConceptDriftChange[] {
    if (pair.task !== this.task) {
      throw new InvalidArgumentError(
        `task: the series' detectors read ${this.task} pairs, got a ${pair.task} pair`,
      );
    }
    const loss = pairLoss(pair);
    this.#pairsSeen += 1;
    const changes: ConceptDriftChange[] = [];
    for (const [name, detector] of this.#detectors) {
      const from = detector.state;
      const to = detector.update(loss);
      if (to !== from) {
        changes.push({
          series: this.series,
          detector: name,
          from,
          to,
          pairsSeen: this.#pairsSeen,
          timeMs: pair.joinedMs,
        });
      }
    }
    return changes;
  }

  /** The saved form (versioned); a restored monitor continues exactly where this one stopped. */
  toJSON(): ConceptDriftMonitorJson {
    const detectors: Record<string, unknown> = {};
    for (const [name, detector] of this.#detectors) detectors[name] = detector.toJSON();
    return {
      schemaVersion: CONCEPT_DRIFT_MONITOR_SCHEMA_VERSION,
      series: { ...this.series },
      task: this.task,
      pairsSeen: this.#pairsSeen,
      detectors: detectors as ConceptDriftMonitorJson['detectors'],
    };
  }

  /**
   * Restores a saved monitor.
   * @throws InvalidArgumentError naming the field of a wrong version or detector state.
   */
  static fromJSON(json: ConceptDriftMonitorJson): ConceptDriftMonitor {
    if (json?.schemaVersion !== CONCEPT_DRIFT_MONITOR_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${CONCEPT_DRIFT_MONITOR_SCHEMA_VERSION}, got ${JSON.stringify(json?.schemaVersion)}`,
      );
    }
    if (json.task !== 'classification' && json.task !== 'regression') {
      throw new InvalidArgumentError(
        `task: expected "classification" or "regression", got ${JSON.stringify(json.task)}`,
      );
    }
    if (!(Number.isInteger(json.pairsSeen) && json.pairsSeen >= 0)) {
      throw new InvalidArgumentError(
        `pairsSeen: expected an integer >= 0, got ${JSON.stringify(json.pairsSeen)}`,
      );
    }
    const detectors = new Map<ConceptDriftDetectorName, ConceptDriftDetector & { toJSON(): unknown }>();
    const saved = json.detectors ?? {};
    const restore = <T>(name: string, make: () => T): T => {
      try {
        return make();
      } catch (error) {
        throw new InvalidArgumentError(
          `detectors.${name}.${error instanceof Error ? error.message : String(error)}`,
        );
      }
    };
    if (saved.ddm !== undefined)
      detectors.set(
        'ddm',
        restore('ddm', () => Ddm.fromJSON(saved.ddm!)),
      );
    if (saved.adwin !== undefined)
      detectors.set(
        'adwin',
        restore('adwin', () => Adwin.fromJSON(saved.adwin!)),
      );
    if (saved.pageHinkley !== undefined) {
      detectors.set(
        'pageHinkley',
        restore('pageHinkley', () => PageHinkley.fromJSON(saved.pageHinkley!)),
      );
    }
    const monitor = new ConceptDriftMonitor(json.series, json.task, detectors);
    monitor.#pairsSeen = json.pairsSeen;
    return monitor;
  }
}
