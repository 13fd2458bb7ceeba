import { InvalidArgumentError, NotFoundError, ResourceExhaustedError } from '@sightline/errors';
import {
  DEFAULT_RECORD_LIMITS,
  pairProblem,
  predictionRecordProblem,
  type RecordProblem,
} from '../domain/record-rules.js';
import type { JoinedPair, PredictionRecord, PredictionRow, SeriesKey } from '../domain/records.js';
import { segmentKeyFits } from '../domain/series-key-rule.js';
import { BucketSummary, type BucketSummaryJson } from './bucket-summary.js';
import {
  type ConceptDriftChange,
  ConceptDriftMonitor,
  type ConceptDriftMonitorJson,
} from './concept-drift-monitor.js';
import { CountWindow, type CountWindowMetrics } from './count-window.js';
import { type SegmentOverflow, SegmentRegistry } from './segment-registry.js';
import { decodeWindowKey, encodeSeriesKey, encodeWindowKey, type SegmentRef } from './window-key.js';
import { summaryMetrics, type WindowMetrics, type WindowMetricsOptions } from './window-metrics.js';
import {
  type MetricWindowsOptions,
  OVERFLOW_SEGMENT_VALUE,
  type ResolvedWindowOptions,
  resolveWindowOptions,
} from './window-options.js';

/** A bucket as the store keeps it. */
export interface PersistedBucket {
  /** {@link encodeWindowKey} of the series and segment. */
  readonly seriesKey: string;
  /** The bucket's width: the bucket width, or the roll-up width (default: the bucket width). */
  readonly widthMs?: number;
  readonly bucketStartMs: number;
  /** The saved summary (or one already restored). */
  readonly summary: BucketSummaryJson | BucketSummary;
}

/**
 * A bucket's changes since the last {@link MetricWindows.takeDirty}, to fold into the stored
 * bucket with {@link applyDirty}: the prediction parts and (unless `pairsReplaced`) the pairs
 * are a delta that adds to what is stored; after a feedback replacement the pair accumulator is
 * the bucket's whole recomputed one and takes the stored one's place.
 */
export interface DirtyBucket {
  readonly seriesKey: string;
  readonly series: SeriesKey;
  readonly segment?: SegmentRef;
  /** The bucket width or the roll-up width: the store keys buckets by (seriesKey, widthMs, bucketStartMs). */
  readonly widthMs: number;
  readonly bucketStartMs: number;
  readonly summary: BucketSummaryJson;
  readonly pairsReplaced: boolean;
}

/** What one joined pair caused besides its bucket. */
export interface PairOutcome {
  /** Concept-drift state changes of the pair's series, in order. */
  readonly conceptDrift: readonly ConceptDriftChange[];
  /** The series' count window, when this pair closed it. */
  readonly countWindow?: CountWindowMetrics;
}

/** One step of a time series. */
export interface WindowStep {
  readonly fromMs: number;
  readonly toMs: number;
  readonly metrics: WindowMetrics;
}

/**
 * The stored bucket after a dirty entry: `persisted` (absent when nothing was stored) with the
 * entry folded in. The store calls this in its write so the rule lives here, tested.
 * @throws InvalidArgumentError when the two buckets cannot merge (task, classes, options).
 */
export function applyDirty(
  persisted: BucketSummary | BucketSummaryJson | undefined,
  dirty: Pick<DirtyBucket, 'summary' | 'pairsReplaced'>,
): BucketSummary {
  const delta = BucketSummary.fromJSON(dirty.summary);
  if (persisted === undefined) return delta;
  const base = persisted instanceof BucketSummary ? persisted.clone() : BucketSummary.fromJSON(persisted);
  return base.merge(delta, { replacePairs: dirty.pairsReplaced });
}

/** The series the constructor builds its checks for. */
const CHECK_SERIES: SeriesKey = { modelName: '', modelVersion: '', node: '' };

interface SeriesState {
  readonly series: SeriesKey;
  readonly task: 'classification' | 'regression';
  readonly classes: readonly string[];
  readonly drift: ConceptDriftMonitor | undefined;
  readonly count: CountWindow | undefined;
  /** Known only from saved detectors: the first record sets its classes. */
  readonly restoredDriftOnly?: boolean;
}

interface OpenBucket {
  readonly key: string;
  readonly widthMs: number;
  readonly series: SeriesKey;
  readonly segment: SegmentRef | undefined;
  readonly bucketStartMs: number;
  readonly summary: BucketSummary;
  pairsReplaced: boolean;
}

/**
 * The time-bucketed metrics of every series (model, version, node) and segment. Records go to
 * the bucket of their *prediction* time (a pair joined days later still lands there); the
 * buckets changed since the last {@link takeDirty} are held in memory (bounded) and handed out
 * as deltas to persist; queries merge the stored buckets with those not yet handed out. Per
 * series it also keeps a count window and the concept-drift detectors, fed in join order.
 */
export class MetricWindows {
  readonly options: ResolvedWindowOptions;
  readonly #series = new Map<string, SeriesState>();
  readonly #open = new Map<string, Map<number, OpenBucket>>();
  #openCount = 0;
  readonly #segments: SegmentRegistry;

  /**
   * @param options limits and detectors (see {@link MetricWindowsOptions} for the defaults).
   * @throws InvalidArgumentError naming a bad option.
   */
  constructor(options: MetricWindowsOptions = {}) {
    this.options = resolveWindowOptions(options);
    this.#segments = new SegmentRegistry(this.options.maxSegmentValues);
    // Built once so a bad calibration, AUC or sketch option fails here, not on the first record.
    BucketSummary.empty('classification', ['a'], this.options.summary);
    BucketSummary.empty('regression', [], this.options.summary);
    if (this.options.conceptDrift !== false) {
      ConceptDriftMonitor.create(CHECK_SERIES, 'classification', this.options.conceptDrift);
    }
  }

  /** Buckets with changes not yet handed out by {@link takeDirty}. */
  get openBuckets(): number {
    return this.#openCount;
  }

  /** The start of the bucket holding `timeMs`. */
  bucketStart(timeMs: number): number {
    return startOf(timeMs, this.options.bucketWidthMs);
  }

  /**
   * Counts a prediction's rows (coverage, prediction distribution, CBPE, latency) in its series'
   * bucket and each configured segment's.
   * @throws InvalidArgumentError naming a bad field (nothing is counted then);
   * ResourceExhaustedError past maxSeries or maxOpenBuckets (flush with takeDirty).
   */
  addPrediction(record: PredictionRecord): void {
    // The store's record rules (src/domain/record-rules.ts): what one keeps, the other can.
    refuse(predictionRecordProblem(record));
    checkTime(record.timeMs, 'timeMs');
    if (record.rows.length === 0) throw new InvalidArgumentError('rows: a prediction has at least one row');
    const state = this.#seriesState(record, record.task, record.classes);
    const seriesKey = encodeSeriesKey(state.series);
    // Segment values are previewed first and registered (overflow counted) only once the record
    // has passed the bucket bound and the series buckets' checks.
    const preview = this.#segmentGroups(seriesKey, record.rows, 'preview');
    const levels = this.#levels(record.timeMs);
    this.#reserve([seriesKey, ...preview.map((g) => g.key)], levels);
    // The series' buckets first: they check every row, so a bad record fails before any other counts it.
    for (const [width, start] of levels) {
      this.#bucket(seriesKey, width, state, undefined, start).summary.addPrediction(record);
    }
    const groups = this.#segmentGroups(seriesKey, record.rows, 'prediction');
    for (const [width, start] of levels) {
      for (const group of groups) {
        this.#bucket(group.key, width, state, group.segment, start).summary.addPrediction(record, group.rows);
      }
    }
  }

  /**
   * Adds a joined pair to the bucket of its prediction time (series and segments), then feeds
   * its series' count window and concept-drift detectors (join order).
   * @throws InvalidArgumentError naming a bad field (the buckets are unchanged then);
   * ResourceExhaustedError past maxSeries or maxOpenBuckets.
   */
  addPair(pair: JoinedPair): PairOutcome {
    refuse(pairProblem(pair.series, pair.classes, pair.prediction, pair.truth));
    checkTime(pair.predictionMs, 'predictionMs');
    checkTime(pair.joinedMs, 'joinedMs');
    const state = this.#seriesState(pair.series, pair.task, pair.classes);
    const seriesKey = encodeSeriesKey(state.series);
    const preview = this.#segmentGroups(seriesKey, [pair.prediction], 'preview');
    const levels = this.#levels(pair.predictionMs);
    this.#reserve([seriesKey, ...preview.map((g) => g.key)], levels);
    for (const [width, start] of levels) {
      this.#bucket(seriesKey, width, state, undefined, start).summary.addPair(pair);
    }
    const groups = this.#segmentGroups(seriesKey, [pair.prediction], 'pair');
    for (const [width, start] of levels) {
      for (const group of groups) {
        this.#bucket(group.key, width, state, group.segment, start).summary.addPair(pair);
      }
    }
    const conceptDrift = state.drift?.observe(pair) ?? [];
    const countWindow = state.count?.add(pair);
    return countWindow === undefined ? { conceptDrift } : { conceptDrift, countWindow };
  }

  /** The widest bucket a record goes to: the roll-up when on, else the bucket. */
  get replacementWidthMs(): number {
    return this.options.rollupWidthMs || this.options.bucketWidthMs;
  }

  /**
   * Feedback replaced: `previous`'s truth gave way to `next`'s. Accumulators cannot subtract, so
   * the pair accumulators of the pair's buckets (its minute and roll-up buckets, series and
   * segments) are recomputed from `rangePairs`: every joined pair of that series whose prediction
   * falls in the widest of them ({@link replacementWidthMs}, the hour by default), `next`
   * included (the store has them). Concept drift and count windows, fed in join order, are not
   * revisited.
   * @throws InvalidArgumentError when the two pairs are not the same prediction row, a pair of
   * `rangePairs` is of another series or range, or `next` is not among them.
   */
  replacePair(previous: JoinedPair, next: JoinedPair, rangePairs: readonly JoinedPair[]): void {
    checkTime(next.predictionMs, 'next.predictionMs');
    const seriesKey = encodeSeriesKey(next.series);
    const width = this.replacementWidthMs;
    const rangeStart = startOf(next.predictionMs, width);
    if (
      encodeSeriesKey(previous.series) !== seriesKey ||
      previous.eventId !== next.eventId ||
      previous.prediction.row !== next.prediction.row ||
      this.bucketStart(previous.predictionMs) !== this.bucketStart(next.predictionMs)
    ) {
      throw new InvalidArgumentError(
        'next: a replacement must be for the same series, event, row and prediction time as the pair it replaces',
      );
    }
    rangePairs.forEach((pair, i) => {
      if (encodeSeriesKey(pair.series) !== seriesKey || startOf(pair.predictionMs, width) !== rangeStart) {
        throw new InvalidArgumentError(
          `rangePairs[${i}]: expected a pair of the same series predicted in the ${width} ms starting at ${rangeStart}`,
        );
      }
    });
    if (!rangePairs.some((p) => p.eventId === next.eventId && p.prediction.row === next.prediction.row)) {
      throw new InvalidArgumentError("rangePairs: the replacement pair must be among the range's pairs");
    }
    const state = this.#seriesState(next.series, next.task, next.classes);
    const keys: Array<{ key: string; segment: SegmentRef | undefined; matches: (p: JoinedPair) => boolean }> =
      [{ key: seriesKey, segment: undefined, matches: () => true }];
    for (const name of this.options.segmentNames) {
      const raw = next.prediction.segments?.[name];
      if (raw === undefined) continue;
      const value = this.#segments.peek(seriesKey, name, raw);
      const segment = { name, value };
      keys.push({
        key: encodeWindowKey(state.series, segment),
        segment,
        matches: (p) => {
          const v = p.prediction.segments?.[name];
          return v !== undefined && this.#segments.peek(seriesKey, name, v) === value;
        },
      });
    }
    const levels = this.#levels(next.predictionMs);
    // Recompute every target before replacing any, so a bad pair leaves the buckets as they were.
    const template = BucketSummary.empty(state.task, state.classes, this.options.summary);
    const targets = levels.flatMap(([levelWidth, start]) =>
      keys.map((k) => {
        const summary = BucketSummary.empty(state.task, state.classes, this.options.summary);
        rangePairs.forEach((pair, i) => {
          if (startOf(pair.predictionMs, levelWidth) !== start || !k.matches(pair)) return;
          try {
            summary.addPair(pair);
          } catch (error) {
            throw new InvalidArgumentError(`rangePairs[${i}].${(error as Error).message}`);
          }
        });
        return { ...k, width: levelWidth, start, pairs: summary.pairs ?? template.emptyPairs() };
      }),
    );
    this.#reserve(
      keys.map((k) => k.key),
      levels,
    );
    for (const target of targets) {
      const bucket = this.#bucket(target.key, target.width, state, target.segment, target.start);
      bucket.summary.replacePairs(target.pairs);
      bucket.pairsReplaced = true;
    }
  }

  /** Hands out (and forgets) every bucket changed since the last call, to fold into the store with {@link applyDirty}. */
  takeDirty(): DirtyBucket[] {
    const out: DirtyBucket[] = [];
    for (const buckets of this.#open.values()) {
      for (const bucket of buckets.values()) {
        out.push({
          seriesKey: bucket.key,
          series: bucket.series,
          ...(bucket.segment === undefined ? {} : { segment: bucket.segment }),
          widthMs: bucket.widthMs,
          bucketStartMs: bucket.bucketStartMs,
          summary: bucket.summary.toJSON(),
          pairsReplaced: bucket.pairsReplaced,
        });
      }
    }
    this.#open.clear();
    this.#openCount = 0;
    return out;
  }

  /**
   * Primes the windows from persisted buckets after a restart: their series (task and classes)
   * and segment values are registered again, so the first `maxSegmentValues` values keep their
   * own segments and queries know the series. The buckets themselves stay in the store.
   * @throws InvalidArgumentError naming the entry of a bad key or summary;
   * ResourceExhaustedError past maxSeries.
   */
  prime(persisted: readonly PersistedBucket[]): void {
    persisted.forEach((entry, i) => {
      let key: ReturnType<typeof decodeWindowKey>;
      let summary: BucketSummary;
      try {
        key = decodeWindowKey(entry.seriesKey);
        summary =
          entry.summary instanceof BucketSummary ? entry.summary : BucketSummary.fromJSON(entry.summary);
      } catch (error) {
        throw new InvalidArgumentError(`persisted[${i}].${(error as Error).message}`);
      }
      this.#seriesState(key.series, summary.task, summary.classes);
      if (key.segment !== undefined) {
        this.#segments.resolve(encodeSeriesKey(key.series), key.segment.name, key.segment.value, 'none');
      }
    });
  }

  /** The values of segment `name` of a series that keep their own segment, sorted (`__other__` not included). */
  segmentValues(series: SeriesKey, name: string): string[] {
    return this.#segments.values(encodeSeriesKey(series), name);
  }

  /** What the segment bound did to `name` of a series (values kept, rows and pairs sent to `__other__`). */
  segmentOverflow(series: SeriesKey, name: string): SegmentOverflow {
    return this.#segments.overflow(encodeSeriesKey(series), name);
  }

  /**
   * Every bucket of a series (and segment) in [fromMs, toMs) merged: the `persisted` ones with
   * the changes not yet handed out folded in ({@link applyDirty}'s rule).
   * @throws InvalidArgumentError on a bad range or summary; NotFoundError for a series never seen.
   */
  summaryOver(
    series: SeriesKey,
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
    persisted: readonly PersistedBucket[],
  ): { summary: BucketSummary; buckets: number } {
    const [step] = this.#steps(series, segment, fromMs, toMs, toMs - fromMs, persisted);
    return step!;
  }

  /**
   * The metrics of one window, [fromMs, toMs), of a series (and segment): see {@link summaryOver}.
   * @throws InvalidArgumentError on a bad range or option; NotFoundError for a series never seen.
   */
  metricsOver(
    series: SeriesKey,
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
    persisted: readonly PersistedBucket[],
    options: WindowMetricsOptions = {},
  ): WindowMetrics {
    const { summary, buckets } = this.summaryOver(series, segment, fromMs, toMs, persisted);
    return summaryMetrics(summary, buckets, options);
  }

  /**
   * A time series: the metrics of each step [fromMs + i stepMs, fromMs + (i + 1) stepMs) up to
   * toMs (the last step may be shorter).
   * @throws InvalidArgumentError when stepMs is not a positive multiple of the bucket width, the
   * range is bad or holds more than maxSeriesSteps steps; NotFoundError for a series never seen.
   */
  metricsSeries(
    series: SeriesKey,
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
    stepMs: number,
    persisted: readonly PersistedBucket[],
    options: WindowMetricsOptions = {},
  ): WindowStep[] {
    const width = this.options.bucketWidthMs;
    if (!(Number.isInteger(stepMs) && stepMs >= width && stepMs % width === 0)) {
      throw new InvalidArgumentError(
        `stepMs: expected a positive multiple of the bucket width ${width} ms, got ${stepMs}`,
      );
    }
    return this.#steps(series, segment, fromMs, toMs, stepMs, persisted).map((step, i) => ({
      fromMs: fromMs + i * stepMs,
      toMs: Math.min(fromMs + (i + 1) * stepMs, toMs),
      // One bootstrap per step would multiply a series' cost by its steps: only when asked.
      metrics: summaryMetrics(step.summary, step.buckets, {
        f1Bootstrap: { maxPairs: 0 },
        shiftResamples: 0,
        ...options,
      }),
    }));
  }

  /**
   * The buckets a query over [fromMs, toMs) in steps of `stepMs` reads, as ranges of bucket
   * starts per width: roll-up buckets wholly inside a step, minute buckets for the rest. The
   * store loads only these (a day: 24 hour buckets instead of 1,440 minute buckets).
   * @throws InvalidArgumentError on a bad range or step, as the queries.
   */
  readPlan(
    fromMs: number,
    toMs: number,
    stepMs: number = toMs - fromMs,
  ): Array<{ widthMs: number; fromMs: number; toMs: number }> {
    checkTime(fromMs, 'fromMs');
    checkTime(toMs, 'toMs');
    if (!(toMs > fromMs))
      throw new InvalidArgumentError(`toMs: expected a time after fromMs ${fromMs}, got ${toMs}`);
    if (!(stepMs > 0)) throw new InvalidArgumentError(`stepMs: expected a positive step, got ${stepMs}`);
    const steps = Math.ceil((toMs - fromMs) / stepMs);
    if (steps > this.options.maxSeriesSteps) {
      throw new InvalidArgumentError(
        `stepMs: ${steps} steps exceed the limit of ${this.options.maxSeriesSteps}; use a longer step or a shorter range`,
      );
    }
    const minute = this.options.bucketWidthMs;
    const rollup = this.options.rollupWidthMs;
    const out: Array<{ widthMs: number; fromMs: number; toMs: number }> = [];
    const push = (widthMs: number, from: number, to: number) => {
      if (to > from) out.push({ widthMs, fromMs: from, toMs: to });
    };
    for (let i = 0; i < steps; i++) {
      const stepFrom = fromMs + i * stepMs;
      const stepTo = Math.min(stepFrom + stepMs, toMs);
      const innerFrom = rollup === 0 ? stepTo : Math.ceil(stepFrom / rollup) * rollup;
      const innerTo = rollup === 0 ? stepTo : startOf(stepTo, rollup);
      if (innerTo > innerFrom) {
        // Minute buckets start inside the step from the first start at or after stepFrom.
        push(minute, stepFrom, innerFrom);
        push(rollup, innerFrom, innerTo);
        push(minute, innerTo, stepTo);
      } else {
        push(minute, stepFrom, stepTo);
      }
    }
    return out;
  }

  /** Every series' concept-drift detector state, to save (a restart resumes with {@link restoreConceptDrift}). */
  conceptDriftState(): ConceptDriftMonitorJson[] {
    return [...this.#series.values()].flatMap((s) => (s.drift === undefined ? [] : [s.drift.toJSON()]));
  }

  /**
   * Restores saved detectors (before the series' first pair of this process, else they replace
   * its detectors).
   * @throws InvalidArgumentError naming the entry of a bad state; ResourceExhaustedError past maxSeries.
   */
  restoreConceptDrift(saved: readonly ConceptDriftMonitorJson[]): void {
    saved.forEach((json, i) => {
      let monitor: ConceptDriftMonitor;
      try {
        monitor = ConceptDriftMonitor.fromJSON(json);
      } catch (error) {
        throw new InvalidArgumentError(`conceptDrift[${i}].${(error as Error).message}`);
      }
      const key = encodeSeriesKey(monitor.series);
      const existing = this.#series.get(key);
      if (existing === undefined) {
        this.#checkSeriesBound();
        this.#series.set(key, {
          ...this.#newSeries(monitor.series, monitor.task, [], monitor),
          restoredDriftOnly: true,
        });
      } else {
        this.#series.set(key, { ...existing, drift: monitor });
      }
    });
  }

  /** The state of a series' detectors (empty when it has none). */
  conceptDriftStates(series: SeriesKey): ReturnType<ConceptDriftMonitor['states']> {
    return this.#series.get(encodeSeriesKey(series))?.drift?.states() ?? {};
  }

  #steps(
    series: SeriesKey,
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
    stepMs: number,
    persisted: readonly PersistedBucket[],
  ): Array<{ summary: BucketSummary; buckets: number }> {
    checkTime(fromMs, 'fromMs');
    checkTime(toMs, 'toMs');
    if (!(toMs > fromMs))
      throw new InvalidArgumentError(`toMs: expected a time after fromMs ${fromMs}, got ${toMs}`);
    const steps = Math.ceil((toMs - fromMs) / stepMs);
    if (steps > this.options.maxSeriesSteps) {
      throw new InvalidArgumentError(
        `stepMs: ${steps} steps exceed the limit of ${this.options.maxSeriesSteps}; use a longer step or a shorter range`,
      );
    }
    const seriesKey = encodeSeriesKey(series);
    const state = this.#series.get(seriesKey);
    if (state === undefined) {
      throw new NotFoundError(
        `series: no prediction or pair of model "${series.modelName}" version "${series.modelVersion}" node "${series.node}" was seen`,
      );
    }
    const key = encodeWindowKey(series, segment);
    const minute = this.options.bucketWidthMs;
    const rollup = this.options.rollupWidthMs;
    // The step of a bucket, or -1 when the bucket is not used: a roll-up bucket is used when it
    // lies wholly inside one step, a minute bucket when its roll-up bucket is not (or there are none).
    // The roll-up buckets there are: a minute bucket gives way only to a roll-up that exists, so
    // minutes stored before roll-ups were turned on are still read (when the caller hands them in).
    const rollups = new Set<number>();
    if (rollup !== 0) {
      for (const entry of persisted) {
        if (entry.seriesKey === key && entry.widthMs === rollup) rollups.add(entry.bucketStartMs);
      }
      for (const start of this.#open.get(openKey(rollup, key))?.keys() ?? []) rollups.add(start);
    }
    const stepOf = (width: number, start: number): number => {
      if (!(start >= fromMs && start < toMs)) return -1;
      const step = Math.floor((start - fromMs) / stepMs);
      const stepFrom = fromMs + step * stepMs;
      const stepTo = Math.min(stepFrom + stepMs, toMs);
      const wholly = (s: number, w: number) => s >= stepFrom && s + w <= stepTo;
      if (width === minute) {
        const hour = rollup === 0 ? Number.NaN : startOf(start, rollup);
        return rollups.has(hour) && wholly(hour, rollup) ? -1 : step;
      }
      return width === rollup && wholly(start, rollup) ? step : -1;
    };
    type Stored = { index: number; summary: BucketSummary | BucketSummaryJson };
    const stored = new Map<string, { width: number; start: number; step: number; entries: Stored[] }>();
    persisted.forEach((entry, index) => {
      if (entry.seriesKey !== key) return;
      const width = entry.widthMs ?? minute;
      const step = stepOf(width, entry.bucketStartMs);
      if (step < 0) return;
      const id = `${width}@${entry.bucketStartMs}`;
      const found = stored.get(id);
      // Two entries of one bucket are two deltas not yet folded together: they add.
      if (found === undefined)
        stored.set(id, {
          width,
          start: entry.bucketStartMs,
          step,
          entries: [{ index, summary: entry.summary }],
        });
      else found.entries.push({ index, summary: entry.summary });
    });
    const pendingById = new Map<string, OpenBucket>();
    for (const width of rollup === 0 ? [minute] : [minute, rollup]) {
      for (const bucket of this.#open.get(openKey(width, key))?.values() ?? []) {
        const step = stepOf(width, bucket.bucketStartMs);
        if (step < 0) continue;
        const id = `${width}@${bucket.bucketStartMs}`;
        pendingById.set(id, bucket);
        if (!stored.has(id)) stored.set(id, { width, start: bucket.bucketStartMs, step, entries: [] });
      }
    }
    const empty = () => BucketSummary.empty(state.task, state.classes, this.options.summary);
    const out = Array.from({ length: steps }, () => ({ summary: empty(), buckets: 0 }));
    const mergeStored = (target: BucketSummary, entries: readonly Stored[]) => {
      for (const { index, summary } of entries) {
        try {
          if (summary instanceof BucketSummary) target.merge(summary);
          else target.mergeSaved(summary);
        } catch (error) {
          throw new InvalidArgumentError(`persisted[${index}].${(error as Error).message}`);
        }
      }
    };
    for (const [id, { step: index, entries }] of stored) {
      const step = out[index]!;
      const pending = pendingById.get(id);
      if (pending === undefined) mergeStored(step.summary, entries);
      else if (entries.length === 0) step.summary.merge(pending.summary);
      else {
        const base = empty();
        mergeStored(base, entries);
        step.summary.merge(base.merge(pending.summary, { replacePairs: pending.pairsReplaced }));
      }
      step.buckets += 1;
    }
    return out;
  }

  #seriesState(
    series: SeriesKey,
    task: 'classification' | 'regression',
    classes: readonly string[],
  ): SeriesState {
    const key = encodeSeriesKey(series);
    const state = this.#series.get(key);
    if (state !== undefined) {
      // A series restored from saved detectors alone learns its classes from its first record.
      if (state.restoredDriftOnly) {
        const upgraded = this.#newSeries(state.series, task, classes, state.drift);
        this.#series.set(key, upgraded);
        return upgraded;
      }
      return state;
    }
    if (task !== 'classification' && task !== 'regression') {
      throw new InvalidArgumentError(
        `task: expected "classification" or "regression", got ${JSON.stringify(task)}`,
      );
    }
    this.#checkSeriesBound();
    // Built once to check the classes before the series is registered.
    BucketSummary.empty(task, classes, this.options.summary);
    const created = this.#newSeries(
      { modelName: series.modelName, modelVersion: series.modelVersion, node: series.node },
      task,
      classes,
      undefined,
    );
    this.#series.set(key, created);
    return created;
  }

  #newSeries(
    series: SeriesKey,
    task: 'classification' | 'regression',
    classes: readonly string[],
    drift: ConceptDriftMonitor | undefined,
  ): SeriesState {
    const options = this.options;
    return {
      series,
      task,
      classes: [...classes],
      drift:
        drift ??
        (options.conceptDrift === false
          ? undefined
          : ConceptDriftMonitor.create(series, task, options.conceptDrift)),
      count:
        options.countWindowPairs === 0
          ? undefined
          : new CountWindow(
              series,
              task,
              classes,
              options.countWindowPairs,
              options.summary,
              options.countWindowConfidence,
            ),
    };
  }

  #checkSeriesBound(): void {
    if (this.#series.size >= this.options.maxSeries) {
      throw new ResourceExhaustedError(
        `series: ${this.options.maxSeries} series (model, version, node) are tracked, the limit (maxSeries)`,
      );
    }
  }

  #segmentGroups(
    seriesKey: string,
    rows: readonly PredictionRow[],
    kind: 'prediction' | 'pair' | 'preview',
  ): Array<{ key: string; segment: SegmentRef; rows: PredictionRow[] }> {
    const names = this.options.segmentNames;
    if (names.length === 0) return [];
    const series = decodeWindowKey(seriesKey).series;
    const tentative = new Map<string, Set<string>>();
    const groups = new Map<string, { key: string; segment: SegmentRef; rows: PredictionRow[] }>();
    for (const row of rows) {
      for (const name of names) {
        const raw = row.segments?.[name];
        if (raw === undefined) continue;
        if (typeof raw !== 'string') {
          throw new InvalidArgumentError(`segments.${name}: expected a string value, got ${typeof raw}`);
        }
        // A value whose key the store would refuse as too long is pooled with the overflow.
        const kept = segmentKeyFits(series, name, raw, DEFAULT_RECORD_LIMITS.maxSeriesKeyLength)
          ? raw
          : OVERFLOW_SEGMENT_VALUE;
        const value =
          kind === 'preview'
            ? this.#segments.preview(seriesKey, name, kept, tentative)
            : this.#segments.resolve(seriesKey, name, kept, kind);
        const segment = { name, value };
        const key = encodeWindowKey(series, segment);
        let group = groups.get(key);
        if (group === undefined) {
          group = { key, segment, rows: [] };
          groups.set(key, group);
        }
        group.rows.push(row);
      }
    }
    return [...groups.values()];
  }

  /** The (width, start) of every bucket a record at `timeMs` goes to: its minute and its roll-up. */
  #levels(timeMs: number): Array<readonly [number, number]> {
    const { bucketWidthMs, rollupWidthMs } = this.options;
    const levels: Array<readonly [number, number]> = [[bucketWidthMs, startOf(timeMs, bucketWidthMs)]];
    if (rollupWidthMs !== 0) levels.push([rollupWidthMs, startOf(timeMs, rollupWidthMs)]);
    return levels;
  }

  /** Checks that the buckets `keys` x `levels` not yet open fit under maxOpenBuckets. */
  #reserve(keys: readonly string[], levels: ReadonlyArray<readonly [number, number]>): void {
    let needed = 0;
    for (const key of keys) {
      for (const [width, start] of levels)
        if (this.#open.get(openKey(width, key))?.has(start) !== true) needed += 1;
    }
    if (this.#openCount + needed > this.options.maxOpenBuckets) {
      throw new ResourceExhaustedError(
        `buckets: ${this.#openCount} buckets hold unflushed changes and this record needs ${needed} more, past the limit of ${this.options.maxOpenBuckets} (maxOpenBuckets); call takeDirty and persist them`,
      );
    }
  }

  #bucket(
    key: string,
    widthMs: number,
    state: SeriesState,
    segment: SegmentRef | undefined,
    start: number,
  ): OpenBucket {
    const id = openKey(widthMs, key);
    let buckets = this.#open.get(id);
    if (buckets === undefined) {
      buckets = new Map();
      this.#open.set(id, buckets);
    }
    let bucket = buckets.get(start);
    if (bucket === undefined) {
      bucket = {
        key,
        widthMs,
        series: state.series,
        segment,
        bucketStartMs: start,
        summary: BucketSummary.empty(state.task, state.classes, this.options.summary),
        pairsReplaced: false,
      };
      buckets.set(start, bucket);
      this.#openCount += 1;
    }
    return bucket;
  }
}

/** The open buckets' map key of a window key at one width. */
function openKey(widthMs: number, key: string): string {
  return `${widthMs}|${key}`;
}

/** The start of the `widthMs` bucket holding `timeMs` (UTC-aligned: widths divide a day). */
function startOf(timeMs: number, widthMs: number): number {
  return Math.floor(timeMs / widthMs) * widthMs;
}

/** Throws the record rule's problem as an InvalidArgumentError naming its field. */
function refuse(problem: RecordProblem | undefined): void {
  if (problem) throw new InvalidArgumentError(problem.message, { field: problem.field });
}

function checkTime(value: number, field: string): void {
  if (!Number.isFinite(value))
    throw new InvalidArgumentError(`${field}: expected a time in ms since the epoch, got ${value}`);
}
