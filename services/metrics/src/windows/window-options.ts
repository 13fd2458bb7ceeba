import { InvalidArgumentError } from '@sightline/errors';
import {
  ADWIN_DEFAULTS,
  type AdwinOptions,
  CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT,
  DDM_DEFAULTS,
  type DdmOptions,
  DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES,
  DEFAULT_CONFIDENCE,
  PAGE_HINKLEY_DEFAULTS,
  type PageHinkleyOptions,
} from '@sightline/stats';

/** Bucket width by default: one minute (the finest step a time series can have). */
export const DEFAULT_BUCKET_WIDTH_MS = 60_000;
/**
 * Width of the roll-up buckets by default: one hour. Every record also goes to its hour's bucket,
 * so a query over a day merges 24 hour buckets and at most 2 x 59 minute buckets at its ends
 * instead of 1,440 (the 50 ms p99 target for a 100,000-pair window); 0 turns roll-ups off.
 */
export const DEFAULT_ROLLUP_WIDTH_MS = 3_600_000;
/**
 * Buckets with unflushed changes held at once by default, over every series, segment and width:
 * 20,000 (with hourly roll-ups, about 2 hours of 1-minute buckets for 160 series-segments). A
 * 3-class bucket holds about 1,000 float64s (8 KB, most of it the AUC histogram), so the bound
 * (160 MB) is what keeps memory finite between two `takeDirty` calls; past it a record is
 * refused and the caller must flush.
 */
export const DEFAULT_MAX_OPEN_BUCKETS = 20_000;
/** Distinct series (model, version, node) tracked by default: 1,000. */
export const DEFAULT_MAX_SERIES = 1_000;
/** Distinct values kept per segment name and series by default (issue 12: the number of segments is bounded). */
export const DEFAULT_MAX_SEGMENT_VALUES = 50;
/** The segment every value past the bound goes to. */
export const OVERFLOW_SEGMENT_VALUE = '__other__';
/** Segment names configured at most: each multiplies the buckets a record touches. */
export const MAX_SEGMENT_NAMES = 16;
/** Steps one time-series query may return at most (a day of 1-minute steps is 1,440). */
export const DEFAULT_MAX_SERIES_STEPS = 10_000;
/**
 * Score bins per class of a bucket's ROC AUC histogram by default: 100 (width 0.01). libs/stats'
 * accumulator defaults to 4,096, but every bucket (series x segment x minute) holds
 * 2 x classes x bins float64s, so 4,096 would cost 196 KB per 3-class bucket and dominate memory
 * and query time. The AUC is exact up to pairs whose scores share a 0.01-wide bin, and that
 * bound is reported with it (`rocAuc.maxError`).
 */
export const DEFAULT_BUCKET_AUC_BINS = 100;

/**
 * DDM's parameters here unless configured: warm start 300 and drift at 3.5 sd, the setting
 * libs/stats calibrated (at most 5% false alarms over 100 no-change runs at a 0.1 error rate,
 * 95% of 0.1 -> 0.3 changes flagged within 250 pairs). river's defaults (warm start 30) raise a
 * false drift in about half of such runs, because p + s is smallest by chance early on.
 */
export const WINDOW_DDM_DEFAULTS = { ...DDM_DEFAULTS, warmStart: 300, driftThreshold: 3.5 } as const;

/** The concept-drift detectors a series may run. */
export type ConceptDriftDetectorName = 'ddm' | 'adwin' | 'pageHinkley';

/** Which detectors run per series and with which parameters (libs/stats documents each). */
export interface ConceptDriftOptions {
  /** Default: all three. DDM only reads a 0/1 stream, so it runs on classification series only. */
  readonly detectors?: readonly ConceptDriftDetectorName[];
  readonly ddm?: DdmOptions;
  readonly adwin?: AdwinOptions;
  readonly pageHinkley?: PageHinkleyOptions;
}

/** Options of {@link MetricWindows}; every limit has a default above. */
export interface MetricWindowsOptions {
  /** Width of a time bucket in ms (default {@link DEFAULT_BUCKET_WIDTH_MS}); must divide a day. */
  readonly bucketWidthMs?: number;
  /** See {@link DEFAULT_ROLLUP_WIDTH_MS}; a multiple of bucketWidthMs that divides a day, or 0. */
  readonly rollupWidthMs?: number;
  /** See {@link DEFAULT_MAX_OPEN_BUCKETS} (minute and roll-up buckets count alike). */
  readonly maxOpenBuckets?: number;
  /** See {@link DEFAULT_MAX_SERIES}. */
  readonly maxSeries?: number;
  /** Segment names whose values the caller puts in `PredictionRow.segments` (default none). */
  readonly segmentNames?: readonly string[];
  /** See {@link DEFAULT_MAX_SEGMENT_VALUES}. */
  readonly maxSegmentValues?: number;
  /** Joined pairs per count window (default 0: no count windows). */
  readonly countWindowPairs?: number;
  /** Level of the count windows' intervals (default 0.95). */
  readonly countWindowConfidence?: number;
  /** Concept drift per series (default: all three detectors with libs/stats' defaults); `false` turns it off. */
  readonly conceptDrift?: ConceptDriftOptions | false;
  /** Calibration bins of the ECE (default libs/stats' 10). */
  readonly calibrationBins?: number;
  /** See {@link DEFAULT_BUCKET_AUC_BINS}; 0 keeps no AUC histogram. */
  readonly aucBins?: number;
  /** Relative accuracy of the latency and output sketches (default libs/stats' 0.01). */
  readonly sketchRelativeAccuracy?: number;
  /**
   * Most classes for which a bucket keeps CBPE's second moments, so that the estimated macro F1
   * has an interval (`--cbpe-f1-interval-max-classes`; default 16, at most 64): 2 K² sums per
   * bucket and per pair accumulator, 1,024 doubles (8 KB) at 16 classes, 16,384 (128 KB) at 64.
   */
  readonly cbpeF1IntervalMaxClasses?: number;
  /** See {@link DEFAULT_MAX_SERIES_STEPS}. */
  readonly maxSeriesSteps?: number;
}

/** {@link MetricWindowsOptions} resolved: every default written out, checked once. */
export interface ResolvedWindowOptions {
  readonly bucketWidthMs: number;
  /** 0 when roll-ups are off. */
  readonly rollupWidthMs: number;
  readonly maxOpenBuckets: number;
  readonly maxSeries: number;
  readonly segmentNames: readonly string[];
  readonly maxSegmentValues: number;
  readonly countWindowPairs: number;
  readonly countWindowConfidence: number;
  readonly conceptDrift: Required<ConceptDriftOptions> | false;
  readonly summary: SummaryOptions;
  readonly maxSeriesSteps: number;
}

/** What every bucket of one process is built with (two summaries merge only when these agree). */
export interface SummaryOptions {
  readonly calibrationBins?: number;
  readonly aucBins: number;
  readonly sketchRelativeAccuracy?: number;
  /** See {@link MetricWindowsOptions.cbpeF1IntervalMaxClasses} (default 16). */
  readonly cbpeF1IntervalMaxClasses?: number;
}

const DAY_MS = 86_400_000;

/**
 * Checks and resolves the options.
 * @throws InvalidArgumentError naming the option and its rule.
 */
export function resolveWindowOptions(options: MetricWindowsOptions = {}): ResolvedWindowOptions {
  const bucketWidthMs = options.bucketWidthMs ?? DEFAULT_BUCKET_WIDTH_MS;
  if (!(Number.isInteger(bucketWidthMs) && bucketWidthMs >= 1000 && DAY_MS % bucketWidthMs === 0)) {
    throw new InvalidArgumentError(
      `bucketWidthMs: expected a whole number of ms, at least 1000, that divides a day, got ${bucketWidthMs}`,
    );
  }
  const rollupWidthMs = options.rollupWidthMs ?? DEFAULT_ROLLUP_WIDTH_MS;
  if (
    rollupWidthMs !== 0 &&
    !(
      Number.isInteger(rollupWidthMs) &&
      rollupWidthMs > bucketWidthMs &&
      rollupWidthMs % bucketWidthMs === 0 &&
      DAY_MS % rollupWidthMs === 0
    )
  ) {
    throw new InvalidArgumentError(
      `rollupWidthMs: expected 0 or a multiple of bucketWidthMs ${bucketWidthMs} above it that divides a day, got ${rollupWidthMs}`,
    );
  }
  const maxOpenBuckets = positiveInteger(
    'maxOpenBuckets',
    options.maxOpenBuckets ?? DEFAULT_MAX_OPEN_BUCKETS,
  );
  const maxSeries = positiveInteger('maxSeries', options.maxSeries ?? DEFAULT_MAX_SERIES);
  const maxSegmentValues = positiveInteger(
    'maxSegmentValues',
    options.maxSegmentValues ?? DEFAULT_MAX_SEGMENT_VALUES,
  );
  const maxSeriesSteps = positiveInteger(
    'maxSeriesSteps',
    options.maxSeriesSteps ?? DEFAULT_MAX_SERIES_STEPS,
  );
  const countWindowPairs = options.countWindowPairs ?? 0;
  if (!(Number.isInteger(countWindowPairs) && countWindowPairs >= 0)) {
    throw new InvalidArgumentError(
      `countWindowPairs: expected an integer >= 0 (0 = no count windows), got ${countWindowPairs}`,
    );
  }
  const countWindowConfidence = options.countWindowConfidence ?? DEFAULT_CONFIDENCE;
  if (!(countWindowConfidence > 0 && countWindowConfidence < 1)) {
    throw new InvalidArgumentError(
      `countWindowConfidence: expected a level in (0, 1), got ${countWindowConfidence}`,
    );
  }
  const segmentNames = [...(options.segmentNames ?? [])];
  if (segmentNames.length > MAX_SEGMENT_NAMES) {
    throw new InvalidArgumentError(
      `segmentNames: at most ${MAX_SEGMENT_NAMES} segment names may be configured, got ${segmentNames.length}`,
    );
  }
  const seen = new Set<string>();
  for (const [i, name] of segmentNames.entries()) {
    if (typeof name !== 'string' || name.length === 0 || name.length > 128) {
      throw new InvalidArgumentError(`segmentNames[${i}]: expected a name of 1 to 128 characters`);
    }
    if (seen.has(name)) throw new InvalidArgumentError(`segmentNames[${i}]: "${name}" is repeated`);
    seen.add(name);
  }
  const aucBins = options.aucBins ?? DEFAULT_BUCKET_AUC_BINS;
  if (!(Number.isInteger(aucBins) && aucBins >= 0)) {
    throw new InvalidArgumentError(`aucBins: expected an integer >= 0, got ${aucBins}`);
  }
  const cbpeF1IntervalMaxClasses = options.cbpeF1IntervalMaxClasses ?? DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES;
  if (
    !(
      Number.isInteger(cbpeF1IntervalMaxClasses) &&
      cbpeF1IntervalMaxClasses >= 0 &&
      cbpeF1IntervalMaxClasses <= CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT
    )
  ) {
    throw new InvalidArgumentError(
      `cbpeF1IntervalMaxClasses: expected an integer in [0, ${CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT}] (--cbpe-f1-interval-max-classes), got ${cbpeF1IntervalMaxClasses}`,
    );
  }
  return Object.freeze({
    bucketWidthMs,
    rollupWidthMs,
    maxOpenBuckets,
    maxSeries,
    segmentNames: Object.freeze(segmentNames),
    maxSegmentValues,
    countWindowPairs,
    countWindowConfidence,
    conceptDrift: resolveConceptDrift(options.conceptDrift),
    summary: Object.freeze({
      aucBins,
      cbpeF1IntervalMaxClasses,
      ...(options.calibrationBins === undefined ? {} : { calibrationBins: options.calibrationBins }),
      ...(options.sketchRelativeAccuracy === undefined
        ? {}
        : { sketchRelativeAccuracy: options.sketchRelativeAccuracy }),
    }),
    maxSeriesSteps,
  });
}

function resolveConceptDrift(
  options: ConceptDriftOptions | false | undefined,
): Required<ConceptDriftOptions> | false {
  if (options === false) return false;
  const detectors = [...(options?.detectors ?? (['ddm', 'adwin', 'pageHinkley'] as const))];
  for (const [i, name] of detectors.entries()) {
    if (name !== 'ddm' && name !== 'adwin' && name !== 'pageHinkley') {
      throw new InvalidArgumentError(
        `conceptDrift.detectors[${i}]: expected "ddm", "adwin" or "pageHinkley", got ${JSON.stringify(name)}`,
      );
    }
  }
  return {
    detectors,
    ddm: { ...WINDOW_DDM_DEFAULTS, ...options?.ddm },
    adwin: { ...ADWIN_DEFAULTS, ...options?.adwin },
    pageHinkley: { ...PAGE_HINKLEY_DEFAULTS, ...options?.pageHinkley },
  };
}

function positiveInteger(field: string, value: number): number {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new InvalidArgumentError(`${field}: expected an integer >= 1, got ${value}`);
  }
  return value;
}
