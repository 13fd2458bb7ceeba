/**
 * Direct loss estimation over a window (NannyML's DLE, online): a series' fitted loss models
 * (libs/stats' `DirectLossEstimator`, fitted on the prediction alone: the records keep no input
 * features) applied to every predicted element of the window, read from the buckets' output
 * sketches. Each sketch bucket's elements lie within the sketch's relative accuracy (1%) of the
 * bucket's midpoint, so each is scored at the midpoint: the estimate is the loss model's mean
 * over the window to within the model's change across 1% of a prediction, whatever was fitted
 * when the predictions arrived. Series combined by a selector each score their own window with
 * their own models, and the parts add, the intervals' variance sums too (libs/stats'
 * direct-loss-interval.ts says what they hold).
 */
import {
  addDirectLossFitVariance,
  addDirectLossVariance,
  DEFAULT_CONFIDENCE,
  type DirectLossEstimator,
  type DirectLossVariance,
  denseMatrix,
  directLossEstimateIntervals,
  directLossGapIntervals,
  directLossVariance,
  type QuantileSketch,
} from '@sightline/stats';
import type { BucketSummary } from './bucket-summary.js';
import type { DleWindowMetrics, WindowMetrics } from './window-metrics.js';

/** Sums of predicted losses over a window's elements, and over its labelled ones. */
export interface DirectLossParts {
  rows: number;
  absoluteSum: number;
  squaredSum: number;
  labelledRows: number;
  labelledAbsoluteSum: number;
  labelledSquaredSum: number;
  /** Variance sums of the estimate over every element (each series' rows' scatter and fit error). */
  variance: DirectLossVariance;
  /** Variance sums of the fit error over the labelled elements (the gap's estimate side). */
  labelledFitVariance: DirectLossVariance;
  /** Elements scored by a fit saved before its sampling error was kept: then no interval. */
  rowsWithoutSamplingError: number;
}

/** Empty parts. */
export function directLossParts(): DirectLossParts {
  return {
    rows: 0,
    absoluteSum: 0,
    squaredSum: 0,
    labelledRows: 0,
    labelledAbsoluteSum: 0,
    labelledSquaredSum: 0,
    variance: directLossVariance(),
    labelledFitVariance: directLossVariance(),
    rowsWithoutSamplingError: 0,
  };
}

/**
 * Adds one series' window (its merged buckets) scored by that series' loss models into `parts`.
 * Once per series and window: the models' fit error is shared by all of the series' rows (its
 * variance grows with rows²), so adding a series' buckets one by one would understate it.
 */
export function addDirectLossParts(
  parts: DirectLossParts,
  summary: BucketSummary,
  estimator: DirectLossEstimator,
): void {
  const sampling = estimator.samplingError;
  if (summary.outputs !== undefined) {
    const all = sketchLosses(summary.outputs, estimator);
    parts.rows += all.rows;
    parts.absoluteSum += all.absoluteSum;
    parts.squaredSum += all.squaredSum;
    if (sampling === undefined) parts.rowsWithoutSamplingError += all.rows;
    else addDirectLossVariance(parts.variance, sampling, all.rows);
  }
  if (summary.labelledOutputs !== undefined) {
    const labelled = sketchLosses(summary.labelledOutputs, estimator);
    parts.labelledRows += labelled.rows;
    parts.labelledAbsoluteSum += labelled.absoluteSum;
    parts.labelledSquaredSum += labelled.squaredSum;
    if (sampling !== undefined) addDirectLossFitVariance(parts.labelledFitVariance, sampling, labelled.rows);
  }
}

/**
 * The window's DLE: estimated MAE and RMSE over every predicted element; the gap (realised minus
 * estimated on the labelled elements) only when every joined element's prediction is in the
 * labelled sketches (buckets saved before they existed leave it unset). Undefined with no element.
 * Intervals at `confidence` (libs/stats' `directLossEstimateIntervals` and
 * `directLossGapIntervals`), none when a series' fit was saved before its sampling error was kept.
 */
export function directLossMetrics(
  parts: DirectLossParts,
  metrics: WindowMetrics,
  confidence: number = DEFAULT_CONFIDENCE,
): DleWindowMetrics | undefined {
  if (parts.rows === 0) return undefined;
  const regression = metrics.regression;
  const gapKnown = regression !== undefined && metrics.joined > 0 && parts.labelledRows === metrics.joined;
  const withIntervals = parts.rowsWithoutSamplingError === 0;
  const mae = parts.absoluteSum / parts.rows;
  const rmse = Math.sqrt(parts.squaredSum / parts.rows);
  const intervals = withIntervals
    ? directLossEstimateIntervals({ mae, rmse }, parts.rows, parts.variance, confidence)
    : {};
  let gap: DleWindowMetrics['gap'];
  if (gapKnown) {
    const estimatedRmse = Math.sqrt(parts.labelledSquaredSum / parts.labelledRows);
    const values = {
      mae: regression.mae - parts.labelledAbsoluteSum / parts.labelledRows,
      rmse: regression.rmse - estimatedRmse,
    };
    const gapIntervals = withIntervals
      ? directLossGapIntervals(values, regression, estimatedRmse, parts.labelledFitVariance, confidence)
      : {};
    gap = {
      pairs: parts.labelledRows,
      ...values,
      ...(gapIntervals.mae !== undefined && { maeInterval: gapIntervals.mae }),
      ...(gapIntervals.rmse !== undefined && { rmseInterval: gapIntervals.rmse }),
    };
  }
  return {
    count: parts.rows,
    mae,
    rmse,
    ...(intervals.mae !== undefined && { maeInterval: intervals.mae }),
    ...(intervals.rmse !== undefined && { rmseInterval: intervals.rmse }),
    ...(gap !== undefined && { gap }),
  };
}

/** Predicted losses of a sketch's elements, each scored at its bucket's midpoint. */
function sketchLosses(
  sketch: QuantileSketch,
  estimator: DirectLossEstimator,
): { rows: number; absoluteSum: number; squaredSum: number } {
  const buckets = sketch.buckets();
  if (buckets.length === 0) return { rows: 0, absoluteSum: 0, squaredSum: 0 };
  const midpoints = Float64Array.from(buckets, (b) => (b.lower + b.upper) / 2);
  const losses = estimator.predictLosses(denseMatrix(buckets.length, 0, new Float64Array(0)), midpoints);
  let rows = 0;
  let absoluteSum = 0;
  let squaredSum = 0;
  buckets.forEach((b, i) => {
    rows += b.count;
    absoluteSum += b.count * losses.absolute[i]!;
    squaredSum += b.count * losses.squared[i]!;
  });
  return { rows, absoluteSum, squaredSum };
}
