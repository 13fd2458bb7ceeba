import { InvalidArgumentError } from '@sightline/errors';
import {
  type BootstrapInterval,
  bootstrapInterval,
  ClassificationAccumulator,
  type ClassificationMetrics,
  type ConfidenceInterval,
  checkConfidence,
  classDistributionShift,
  confusionDeltaIntervals,
  DEFAULT_CONFIDENCE,
  type DistributionShift,
  type DistributionShiftIntervals,
  type DistributionShiftOptions,
  distributionShift,
  distributionShiftIntervals,
  estimateCbpe,
  normalQuantile,
  type QuantileSketch,
  RegressionAccumulator,
  type RegressionMetrics,
  scoresFromConfusion,
  sketchQuantileInterval,
  wilsonInterval,
} from '@sightline/stats';
import type { BucketSummary } from './bucket-summary.js';

/** Quantile bins of a reference window's outputs for the output shift: deciles, as libs/stats' numeric effect sizes. */
export const OUTPUT_SHIFT_BINS = 10;
/**
 * Largest window whose macro and weighted F1 get a bootstrap interval by default in `metricsOver`:
 * 1,000 pairs. The bootstrap resamples pair by pair (from the confusion matrix), about 28 ns a
 * draw here, so 1,000 pairs x 200 resamples x 2 statistics cost ~11 ms; 5,000 pairs at 1,000
 * resamples cost ~285 ms. A larger window's F1 interval is narrow anyway. Time series and count
 * windows bootstrap only when asked (`f1Bootstrap`).
 */
export const DEFAULT_F1_BOOTSTRAP_MAX_PAIRS = 1_000;
/** Resamples of the F1 bootstrap by default: 200 (the interval's ends to about +-0.2 standard error). */
export const DEFAULT_F1_BOOTSTRAP_RESAMPLES = 200;
/** Latency quantiles reported. */
export const LATENCY_QUANTILES = [0.5, 0.9, 0.95, 0.99] as const;

/** A value with its sampling error. */
export interface EstimateWithInterval {
  readonly value: number;
  readonly interval: ConfidenceInterval;
}

/** Classification metrics of a window, with an interval for every proportion. */
export interface ClassificationWindowMetrics extends ClassificationMetrics {
  /** Wilson interval of each class's precision (tp of predicted), in `classes` order. */
  readonly precisionIntervals: readonly ConfidenceInterval[];
  /** Wilson interval of each class's recall (tp of true). */
  readonly recallIntervals: readonly ConfidenceInterval[];
  /**
   * Percentile bootstrap intervals of the macro and weighted F1 (pairs resampled from the
   * confusion matrix, libs/stats' `bootstrapInterval`); absent above the bootstrap's pair limit.
   */
  readonly f1Intervals?: { readonly macro: BootstrapInterval; readonly weighted: BootstrapInterval };
  /**
   * The interval of every label score without a Wilson one: per-class F1 and macro and weighted
   * precision and recall by the delta method over the confusion matrix's multinomial cells
   * (libs/stats' `confusionDeltaIntervals`); macro and weighted F1 by the percentile bootstrap
   * when `f1Intervals` is there (small windows), else by the delta method.
   */
  readonly scoreIntervals: {
    readonly f1: readonly ConfidenceInterval[];
    readonly macro: AveragedIntervals;
    readonly weighted: AveragedIntervals;
  };
}

/** Intervals of one averaging rule's precision, recall and F1. */
export interface AveragedIntervals {
  readonly precision: ConfidenceInterval;
  readonly recall: ConfidenceInterval;
  readonly f1: ConfidenceInterval;
}

/** The F1 bootstrap of {@link WindowMetricsOptions}. */
export interface F1BootstrapOptions {
  /** Resamples (default {@link DEFAULT_F1_BOOTSTRAP_RESAMPLES}). */
  readonly resamples?: number;
  /** Largest window bootstrapped (default {@link DEFAULT_F1_BOOTSTRAP_MAX_PAIRS}); 0 turns it off. */
  readonly maxPairs?: number;
  /** Seed of the resampling (default 0): the same window gives the same interval. */
  readonly seed?: number;
}

/** CBPE's label-free estimate of a window and, once labels exist, its gap to the realised values. */
export interface CbpeWindowMetrics {
  /** Rows with logged probabilities the estimate rests on (labelled or not). */
  readonly count: number;
  /** Expected accuracy, with a normal interval from CBPE's standard error (calibrated probabilities assumed). */
  readonly accuracy: EstimateWithInterval;
  /** Expected macro F1. */
  readonly f1Macro: number;
  /**
   * Where the realised macro F1 lies if the probabilities are calibrated: ± z × the delta-method
   * standard error (libs/stats' `f1MacroStandardError`), clipped to [0, 1]. Absent above 16
   * classes, or when the window holds buckets saved before CBPE's second moments were kept.
   */
  readonly f1MacroInterval?: ConfidenceInterval;
  /**
   * On the labelled pairs only: realised minus estimated (CBPE over the same pairs' probabilities),
   * so a label-biased sample does not read as miscalibration. The interval is the realised
   * accuracy's spread if the probabilities were calibrated: 0 outside it means they are not.
   */
  readonly gap?: {
    readonly pairs: number;
    readonly accuracy: EstimateWithInterval;
    readonly f1Macro: number;
    /** ± z × the F1's standard error on those pairs (method `delta`), as the accuracy's. */
    readonly f1MacroInterval?: ConfidenceInterval;
  };
}

/** Quantiles of a sketch (values within the sketch's relative accuracy). */
export interface SketchQuantiles {
  readonly count: number;
  /** The guarantee of every quantile: within this fraction of the true value's magnitude. */
  readonly relativeAccuracy: number;
  readonly min: number;
  readonly max: number;
  /** `p50`, `p90`, `p95`, `p99`. */
  readonly quantiles: Readonly<Record<string, number>>;
  /**
   * Per quantile, the distribution-free order-statistic interval of the population's quantile
   * (binomial ranks read from the sketch, widened by its relative accuracy); an end without an
   * order statistic (p99 of a few values) is infinite.
   */
  readonly intervals: Readonly<Record<string, ConfidenceInterval>>;
}

/** Everything a window of merged buckets says. */
export interface WindowMetrics {
  readonly task: 'classification' | 'regression';
  /** Buckets with data merged (minute and roll-up buckets alike: a day read from its hours is 24). */
  readonly buckets: number;
  /** Prediction rows (labelled or not). */
  readonly predictions: number;
  /** Prediction records (requests). */
  readonly requests: number;
  /** Joined pairs (regression: pair elements). */
  readonly joined: number;
  /**
   * Share of prediction rows with feedback, with its Wilson interval (classification; regression
   * counts elements on both sides). A pair whose prediction the windows never saw counts in
   * `joined` only, so the share is capped at 1.
   */
  readonly coverage: EstimateWithInterval;
  readonly classification?: ClassificationWindowMetrics;
  readonly regression?: RegressionMetrics;
  /** Predicted label counts (classification). */
  readonly predictedClasses?: Readonly<Record<string, number>>;
  /** Predicted outputs (regression). */
  readonly outputs?: SketchQuantiles;
  /** The prediction distribution against the reference window (when one was given and both sides have predictions). */
  readonly predictionShift?: DistributionShift & { readonly intervals?: DistributionShiftIntervals };
  /** Request latencies, ms (absent when no request logged one). */
  readonly latencyMs?: SketchQuantiles;
  /** CBPE (classification with logged probabilities). */
  readonly cbpe?: CbpeWindowMetrics;
  /** Direct loss estimation (regression series with a fitted loss model; see `directLossMetrics`). */
  readonly dle?: DleWindowMetrics;
}

/**
 * DLE's label-free estimate of a window and, once labels exist, its gap to the realised values.
 * The intervals are absent when a series' loss models were saved before their sampling error
 * was kept (libs/stats' direct-loss-interval.ts says what they are).
 */
export interface DleWindowMetrics {
  /** Predicted elements the estimate rests on (labelled or not). */
  readonly count: number;
  /** Estimated MAE. */
  readonly mae: number;
  /**
   * Where the realised MAE of these elements lies if the loss models are right: ± z × the
   * residual spread of the absolute-error model × sqrt(1 / rows + 1 / reference rows), method
   * `normal`, low end at least 0.
   */
  readonly maeInterval?: ConfidenceInterval;
  /** Estimated RMSE. */
  readonly rmse: number;
  /** The same for the RMSE: the delta method on the MSE's (method `delta`); absent for an RMSE of 0. */
  readonly rmseInterval?: ConfidenceInterval;
  /** On the labelled elements only: realised minus estimated. */
  readonly gap?: {
    readonly pairs: number;
    readonly mae: number;
    readonly rmse: number;
    /** Where the gap lies if the loss models are right: 0 outside it means they are not (method `normal`). */
    readonly maeInterval?: ConfidenceInterval;
    /** The same for the RMSE gap (method `delta`). */
    readonly rmseInterval?: ConfidenceInterval;
  };
}

/** Options of {@link summaryMetrics}. */
export interface WindowMetricsOptions extends DistributionShiftOptions {
  /** Level of every interval (default 0.95). */
  readonly confidence?: number;
  /** The reference window's merged buckets, for the prediction shift. */
  readonly reference?: BucketSummary;
  /** The macro and weighted F1 intervals' bootstrap. */
  readonly f1Bootstrap?: F1BootstrapOptions;
  /**
   * Resamples of the prediction shift's percentile bootstrap (default
   * DEFAULT_SHIFT_BOOTSTRAP_RESAMPLES = 200, seed 0); 0 leaves the shift without intervals (time
   * series: 200 resamples per step would cost up to 10,000 x 200 shifts).
   */
  readonly shiftResamples?: number;
}

/**
 * The metrics of one merged window (every bucket of it merged into `summary`).
 * @throws InvalidArgumentError on a bad confidence level, or a reference of another task.
 */
export function summaryMetrics(
  summary: BucketSummary,
  buckets: number,
  options: WindowMetricsOptions = {},
): WindowMetrics {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  checkConfidence(confidence);
  const predictions = summary.predictions;
  const joined = summary.joined;
  const base = {
    task: summary.task,
    buckets,
    predictions,
    requests: summary.requests,
    joined,
    coverage: coverage(
      joined,
      summary.task === 'regression' ? summary.outputs!.count : predictions,
      confidence,
    ),
    ...pairMetrics(summary, confidence, options.f1Bootstrap),
  };
  const out: Record<string, unknown> = { ...base };
  if (summary.latencyMs.count > 0) out.latencyMs = sketchQuantiles(summary.latencyMs, confidence, 0);
  if (summary.predictedClasses !== undefined)
    out.predictedClasses = Object.fromEntries(summary.predictedClasses.toMap());
  if (summary.outputs !== undefined && summary.outputs.count > 0)
    out.outputs = sketchQuantiles(summary.outputs, confidence);
  const shift =
    options.reference === undefined
      ? undefined
      : predictionShift(options.reference, summary, options, confidence);
  if (shift !== undefined) out.predictionShift = shift;
  const cbpe = cbpeMetrics(summary, confidence);
  if (cbpe !== undefined) out.cbpe = cbpe;
  return out as unknown as WindowMetrics;
}

/** The joined pairs' metrics of a summary (what a count window reports too). */
export function pairMetrics(
  summary: BucketSummary,
  confidence: number,
  bootstrap: F1BootstrapOptions = {},
): { classification?: ClassificationWindowMetrics; regression?: RegressionMetrics } {
  const pairs = summary.pairs;
  if (pairs instanceof RegressionAccumulator) return { regression: pairs.metrics(confidence) };
  if (!(pairs instanceof ClassificationAccumulator)) return {};
  const metrics = pairs.metrics(confidence);
  const k = metrics.classes.length;
  const precisionIntervals: ConfidenceInterval[] = [];
  const recallIntervals: ConfidenceInterval[] = [];
  for (let c = 0; c < k; c++) {
    let predicted = 0;
    for (let t = 0; t < k; t++) predicted += metrics.confusion[t * k + c]!;
    const tp = metrics.confusion[c * k + c]!;
    precisionIntervals.push(wilsonInterval(tp, predicted, confidence));
    recallIntervals.push(wilsonInterval(tp, metrics.support[c]!, confidence));
  }
  const f1Intervals = f1Bootstrap(metrics.classes, metrics.confusion, metrics.count, confidence, bootstrap);
  const delta = confusionDeltaIntervals(metrics.confusion, k, metrics, confidence);
  const scoreIntervals = {
    f1: delta.f1,
    macro: f1Intervals === undefined ? delta.macro : { ...delta.macro, f1: f1Intervals.macro },
    weighted: f1Intervals === undefined ? delta.weighted : { ...delta.weighted, f1: f1Intervals.weighted },
  };
  return {
    classification: {
      ...metrics,
      precisionIntervals,
      recallIntervals,
      ...(f1Intervals === undefined ? {} : { f1Intervals }),
      scoreIntervals,
    },
  };
}

/**
 * Bootstrap intervals of the macro and weighted F1: the window's pairs are its confusion
 * matrix's cells, each repeated by its count, so resampling pairs is resampling cells; both
 * statistics use the same resamples (same seed).
 */
function f1Bootstrap(
  classes: readonly (string | number)[],
  confusion: Float64Array,
  count: number,
  confidence: number,
  options: F1BootstrapOptions,
): ClassificationWindowMetrics['f1Intervals'] {
  const maxPairs = options.maxPairs ?? DEFAULT_F1_BOOTSTRAP_MAX_PAIRS;
  if (count < 1 || count > maxPairs) return undefined;
  const cells = new Int32Array(count);
  let next = 0;
  confusion.forEach((n, cell) => {
    for (let i = 0; i < n; i++) cells[next++] = cell;
  });
  const resampled = new Float64Array(confusion.length);
  const statistic = (average: 'macro' | 'weighted') => (indices: Uint32Array) => {
    resampled.fill(0);
    for (let i = 0; i < indices.length; i++) resampled[cells[indices[i]!]!]! += 1;
    return scoresFromConfusion(classes, resampled)[average].f1;
  };
  const bootstrap = {
    resamples: options.resamples ?? DEFAULT_F1_BOOTSTRAP_RESAMPLES,
    confidence,
    seed: options.seed ?? 0,
  };
  return {
    macro: bootstrapInterval(count, statistic('macro'), bootstrap),
    weighted: bootstrapInterval(count, statistic('weighted'), bootstrap),
  };
}

function coverage(joined: number, predictions: number, confidence: number): EstimateWithInterval {
  const trials = Math.max(predictions, joined);
  return {
    value: trials === 0 ? Number.NaN : joined / trials,
    interval: wilsonInterval(joined, trials, confidence),
  };
}

function cbpeMetrics(summary: BucketSummary, confidence: number): CbpeWindowMetrics | undefined {
  if (summary.cbpe === undefined || summary.cbpe.count === 0) return undefined;
  const estimate = estimateCbpe(summary.cbpe);
  const z = normalQuantile(0.5 + confidence / 2);
  const out: { -readonly [K in keyof CbpeWindowMetrics]: CbpeWindowMetrics[K] } = {
    count: estimate.count,
    accuracy: {
      value: estimate.accuracy,
      interval: normalInterval(estimate.accuracy, estimate.accuracyStandardError, z, confidence),
    },
    f1Macro: estimate.f1Macro,
  };
  if (Number.isFinite(estimate.f1MacroStandardError)) {
    out.f1MacroInterval = {
      low: Math.max(estimate.f1Macro - z * estimate.f1MacroStandardError, 0),
      high: Math.min(estimate.f1Macro + z * estimate.f1MacroStandardError, 1),
      confidence,
      method: 'delta',
    };
  }
  const pairs = summary.pairs;
  if (pairs instanceof ClassificationAccumulator) {
    const realised = pairs.metrics(confidence);
    const onPairs = realised.cbpe;
    // The accumulator does not keep the realised accuracy of only the pairs that logged
    // probabilities, so the gap is given when every pair did (else it would compare two samples).
    if (onPairs !== undefined && onPairs.count > 0 && onPairs.count === realised.count) {
      const gap = realised.accuracy - onPairs.accuracy;
      out.gap = {
        pairs: onPairs.count,
        accuracy: {
          value: gap,
          interval: {
            low: gap - z * onPairs.accuracyStandardError,
            high: gap + z * onPairs.accuracyStandardError,
            confidence,
            method: 'normal',
          },
        },
        f1Macro: realised.macro.f1 - onPairs.f1Macro,
        ...(Number.isFinite(onPairs.f1MacroStandardError) && {
          f1MacroInterval: {
            low: realised.macro.f1 - onPairs.f1Macro - z * onPairs.f1MacroStandardError,
            high: realised.macro.f1 - onPairs.f1Macro + z * onPairs.f1MacroStandardError,
            confidence,
            method: 'delta' as const,
          },
        }),
      };
    }
  }
  return out;
}

function normalInterval(
  value: number,
  standardError: number,
  z: number,
  confidence: number,
): ConfidenceInterval {
  return {
    low: Math.max(value - z * standardError, 0),
    high: Math.min(value + z * standardError, 1),
    confidence,
    method: 'normal',
  };
}

/** Quantiles of a sketch with their order-statistic intervals; `floor` is a known lower limit of the values (latency: 0). */
function sketchQuantiles(sketch: QuantileSketch, confidence: number, floor = -Infinity): SketchQuantiles {
  const quantiles: Record<string, number> = {};
  const intervals: Record<string, ConfidenceInterval> = {};
  for (const q of LATENCY_QUANTILES) {
    const name = `p${Math.round(q * 100)}`;
    quantiles[name] = sketch.quantile(q);
    const interval = sketchQuantileInterval(sketch, q, confidence);
    intervals[name] = { ...interval, low: Math.max(interval.low, floor) };
  }
  return {
    count: sketch.count,
    relativeAccuracy: sketch.relativeAccuracy,
    min: sketch.min,
    max: sketch.max,
    quantiles,
    intervals,
  };
}

/**
 * The prediction distribution against a reference window: predicted class counts
 * (classification) or the outputs binned at the reference's deciles (regression; the counts per
 * bin are read from both sketches' CDFs, so they are exact up to the sketch's bucket width).
 */
function predictionShift(
  reference: BucketSummary,
  window: BucketSummary,
  options: DistributionShiftOptions & { readonly shiftResamples?: number },
  confidence: number,
): (DistributionShift & { intervals?: DistributionShiftIntervals }) | undefined {
  if (reference.task !== window.task) {
    throw new InvalidArgumentError(
      `reference: a ${reference.task} window cannot be the reference of a ${window.task} window`,
    );
  }
  const shiftOptions = {
    ...(options.epsilon === undefined ? {} : { epsilon: options.epsilon }),
    ...(options.base === undefined ? {} : { base: options.base }),
  };
  if (window.task === 'classification') {
    const ref = reference.predictedClasses!;
    const win = window.predictedClasses!;
    if (ref.total === 0 || win.total === 0) return undefined;
    const refCounts = ref.toMap();
    const winCounts = win.toMap();
    const classes = [...new Set([...refCounts.keys(), ...winCounts.keys()])];
    return withShiftIntervals(
      classDistributionShift(refCounts, winCounts, shiftOptions),
      classes.map((c) => refCounts.get(c) ?? 0),
      classes.map((c) => winCounts.get(c) ?? 0),
      { ...shiftOptions, confidence },
      options.shiftResamples,
    );
  }
  const ref = reference.outputs!;
  const win = window.outputs!;
  if (ref.count === 0 || win.count === 0) return undefined;
  const edges: number[] = [];
  for (let k = 1; k < OUTPUT_SHIFT_BINS; k++) {
    const edge = ref.quantile(k / OUTPUT_SHIFT_BINS);
    if (edges.length === 0 || edge > edges[edges.length - 1]!) edges.push(edge);
  }
  const refBins = binnedCounts(ref, edges);
  const winBins = binnedCounts(win, edges);
  return withShiftIntervals(
    distributionShift(refBins, winBins, shiftOptions),
    refBins,
    winBins,
    { ...shiftOptions, confidence },
    options.shiftResamples,
  );
}

/** The shift with its percentile bootstrap intervals (both sides resampled), unless turned off. */
function withShiftIntervals(
  shift: DistributionShift,
  reference: readonly number[],
  window: readonly number[],
  options: DistributionShiftOptions & { readonly confidence: number },
  resamples: number | undefined,
): DistributionShift & { intervals?: DistributionShiftIntervals } {
  if (resamples === 0) return shift;
  return {
    ...shift,
    intervals: distributionShiftIntervals(reference, window, {
      ...options,
      ...(resamples === undefined ? {} : { resamples }),
    }),
  };
}

function binnedCounts(sketch: QuantileSketch, edges: readonly number[]): number[] {
  const counts: number[] = [];
  let below = 0;
  for (const edge of edges) {
    const cumulative = sketch.cdf(edge) * sketch.count;
    counts.push(Math.max(cumulative - below, 0));
    below = Math.max(cumulative, below);
  }
  counts.push(Math.max(sketch.count - below, 0));
  return counts;
}
