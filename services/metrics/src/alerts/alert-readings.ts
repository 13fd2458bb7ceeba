/**
 * What the alert evaluator reads, behind one small interface, and its implementation over
 * MetricWindows and the store. A selector that leaves the version or node unset combines
 * every series of the model that matches it (their buckets merged, as GetMetrics does).
 */
import type { DriftState } from '@sightline/stats';
import type { SeriesKey } from '../domain/records.js';
import type { DirectLossLookup } from '../estimates/direct-loss-models.js';
import type { MetricsStore } from '../store/metrics-store.js';
import {
  addDirectLossParts,
  type DirectLossParts,
  directLossMetrics,
  directLossParts,
} from '../windows/direct-loss-metrics.js';
import {
  type BucketSummary,
  type ConceptDriftDetectorName,
  type MetricWindows,
  type PersistedBucket,
  type SegmentRef,
  summaryMetrics,
  type WindowMetrics,
} from '../windows/index.js';
import type { AlertSeriesSelector } from './alert-rule.js';

/** The concept-drift states of the series a selector matches. */
export interface DriftReading {
  /** Per matching series, its detectors' states. */
  readonly states: ReadonlyArray<Partial<Record<ConceptDriftDetectorName, DriftState>>>;
  /** Pairs the matching series' detectors have read (summed). */
  readonly pairsSeen: number;
}

/** Everything the evaluator reads. */
export interface AlertReadings {
  /**
   * The merged metrics of the series the selector matches over [fromMs, toMs); undefined when
   * no series matches (the model was never seen).
   */
  windowMetrics(
    selector: AlertSeriesSelector,
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
    options: {
      confidence: number;
      reference?: { fromMs: number; toMs: number };
      /** Whether the macro and weighted F1 need their bootstrap interval. */
      f1Interval?: boolean;
    },
  ): Promise<WindowMetrics | undefined>;
  /** The values of a segment seen on the series the selector matches, sorted. */
  segmentValues(selector: AlertSeriesSelector, name: string): Promise<readonly string[]>;
  /** Feedback naming the model waiting for its prediction now. */
  pendingFeedback(modelName: string): Promise<number>;
  /** Feedback naming the model expired unjoined since the store was created (a running total). */
  expiredFeedbackTotal(modelName: string): Promise<number>;
  /** The concept-drift states of the matching series. */
  conceptDrift(selector: AlertSeriesSelector): Promise<DriftReading>;
}

/** The series and segment values seen, for selectors that combine several series. */
export interface SeriesCatalog {
  /** Every series of a model seen so far. */
  seriesOf(modelName: string): readonly SeriesKey[];
  /** The values of a segment name seen on a series. */
  segmentValuesOf(series: SeriesKey, name: string): readonly string[];
}

/**
 * A catalog fed with what the windows see (the service calls `observe` for each stored
 * prediction and each bucket primed at start). Bounded as the windows are: they refuse a
 * series past maxSeries and pool segment values past maxSegmentValues, and the caller passes
 * the value the windows kept (or `__other__`).
 */
export class MemorySeriesCatalog implements SeriesCatalog {
  readonly #series = new Map<string, { key: SeriesKey; segments: Map<string, Set<string>> }>();

  observe(series: SeriesKey, segments: Readonly<Record<string, string>> = {}): void {
    const id = JSON.stringify([series.modelName, series.modelVersion, series.node]);
    let entry = this.#series.get(id);
    if (entry === undefined) {
      entry = {
        key: { modelName: series.modelName, modelVersion: series.modelVersion, node: series.node },
        segments: new Map(),
      };
      this.#series.set(id, entry);
    }
    for (const [name, value] of Object.entries(segments)) {
      const values = entry.segments.get(name) ?? new Set<string>();
      entry.segments.set(name, values);
      values.add(value);
    }
  }

  seriesOf(modelName: string): readonly SeriesKey[] {
    return [...this.#series.values()].filter((s) => s.key.modelName === modelName).map((s) => s.key);
  }

  segmentValuesOf(series: SeriesKey, name: string): readonly string[] {
    const id = JSON.stringify([series.modelName, series.modelVersion, series.node]);
    return [...(this.#series.get(id)?.segments.get(name) ?? [])];
  }
}

/** What {@link windowAlertReadings} reads from. */
export interface WindowReadingsSources {
  readonly windows: MetricWindows;
  readonly store: Pick<MetricsStore, 'counts'>;
  readonly catalog: SeriesCatalog;
  /**
   * A regression series' loss models (the data plane's `directLoss.lookup`), for the estimated
   * MAE and RMSE. Default: none (those metrics read as not evaluable).
   */
  readonly directLoss?: (series: SeriesKey) => Promise<DirectLossLookup>;
  /**
   * The stored buckets of a series (and segment) a query over [fromMs, toMs) needs (the
   * windows' `readPlan`); the changes not yet flushed are in the windows. Default: none
   * stored (everything still in the windows, as in a process that never flushed).
   */
  readonly persisted?: (
    series: SeriesKey,
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
  ) => Promise<readonly PersistedBucket[]>;
  /**
   * The windows' `summaryOver` with the stored buckets, read as one (the service's
   * BucketPersistence, which keeps a flush from running between the two reads); when given,
   * `persisted` is not used.
   */
  readonly summaryOver?: (
    series: SeriesKey,
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
  ) => Promise<{ summary: BucketSummary; buckets: number }>;
}

const matches = (selector: AlertSeriesSelector, series: SeriesKey) =>
  series.modelName === selector.modelName &&
  (selector.modelVersion === undefined || selector.modelVersion === series.modelVersion) &&
  (selector.node === undefined || selector.node === series.node);

/** AlertReadings over the windows (metrics, drift), the store (feedback counts) and a catalog. */
export function windowAlertReadings(sources: WindowReadingsSources): AlertReadings {
  const { windows, store, catalog } = sources;
  const persisted = sources.persisted ?? (async () => []);
  const seriesFor = (selector: AlertSeriesSelector) =>
    catalog.seriesOf(selector.modelName).filter((s) => matches(selector, s));
  const merged = async (
    series: readonly SeriesKey[],
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
  ): Promise<{ summary: BucketSummary; buckets: number; directLoss?: DirectLossParts } | undefined> => {
    let total: { summary: BucketSummary; buckets: number; directLoss?: DirectLossParts } | undefined;
    let parts: DirectLossParts | undefined = sources.directLoss === undefined ? undefined : directLossParts();
    for (const key of series) {
      const part =
        sources.summaryOver === undefined
          ? windows.summaryOver(key, segment, fromMs, toMs, await persisted(key, segment, fromMs, toMs))
          : await sources.summaryOver(key, segment, fromMs, toMs);
      if (
        parts !== undefined &&
        part.summary.task === 'regression' &&
        part.summary.predictions + part.summary.joined > 0
      ) {
        const lookup = await sources.directLoss!(key);
        if (lookup.ok) addDirectLossParts(parts, part.summary, lookup.fit.estimator);
        else parts = undefined;
      }
      if (total === undefined) total = part;
      else {
        // Series of one model share its task; versions with other class lists cannot merge.
        total.summary.merge(part.summary);
        total.buckets += part.buckets;
      }
    }
    return total === undefined || parts === undefined || total.summary.task !== 'regression'
      ? total
      : { ...total, directLoss: parts };
  };
  return {
    async windowMetrics(selector, segment, fromMs, toMs, options) {
      const series = seriesFor(selector);
      const window = await merged(series, segment, fromMs, toMs);
      if (window === undefined) return undefined;
      const reference =
        options.reference === undefined
          ? undefined
          : (await merged(series, segment, options.reference.fromMs, options.reference.toMs))?.summary;
      const metrics = summaryMetrics(window.summary, window.buckets, {
        confidence: options.confidence,
        ...(options.f1Interval ? {} : { f1Bootstrap: { maxPairs: 0 } }),
        ...(reference !== undefined && !isEmpty(reference) ? { reference } : {}),
      });
      const dle =
        window.directLoss === undefined
          ? undefined
          : directLossMetrics(window.directLoss, metrics, options.confidence);
      return dle === undefined ? metrics : { ...metrics, dle };
    },
    async segmentValues(selector, name) {
      const values = new Set<string>();
      for (const key of seriesFor(selector))
        for (const v of catalog.segmentValuesOf(key, name)) values.add(v);
      return [...values].sort();
    },
    async pendingFeedback(modelName) {
      return (await store.counts({ modelName, fromMs: 0, toMs: 1 })).pending;
    },
    async expiredFeedbackTotal(modelName) {
      return (await store.counts({ modelName, fromMs: 0, toMs: 1 })).expired;
    },
    async conceptDrift(selector) {
      const series = seriesFor(selector);
      const saved = windows.conceptDriftState();
      const pairsSeen = saved
        .filter((s) => series.some((k) => matches({ ...k }, s.series)))
        .reduce((sum, s) => sum + s.pairsSeen, 0);
      return { states: series.map((key) => windows.conceptDriftStates(key)), pairsSeen };
    },
  };
}

/** A reference window with no predictions gives no shift. */
function isEmpty(summary: BucketSummary): boolean {
  return summaryMetrics(summary, 0, { f1Bootstrap: { maxPairs: 0 } }).predictions === 0;
}
