/**
 * Direct loss estimation over a window (NannyML's DLE, online): a series' fitted loss models
 * (libs/stats' `DirectLossEstimator`, fitted on the prediction alone: the records keep no input
 * features) applied to every predicted element of the window, read from the buckets' output
 * sketches. Each sketch bucket's elements lie within the sketch's relative accuracy (1%) of the
 * bucket's midpoint, so each is scored at the midpoint: the estimate is the loss model's mean
 * over the window to within the model's change across 1% of a prediction, whatever was fitted
 * when the predictions arrived. Series combined by a selector each score their own window with
 * their own models, and the parts add.
 */
import { type DirectLossEstimator, denseMatrix, type QuantileSketch } from '@sightline/stats';
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
  };
}

/** Adds one series' window (its merged buckets) scored by that series' loss models into `parts`. */
export function addDirectLossParts(
  parts: DirectLossParts,
  summary: BucketSummary,
  estimator: DirectLossEstimator,
): void {
  if (summary.outputs !== undefined) {
    const all = sketchLosses(summary.outputs, estimator);
    parts.rows += all.rows;
    parts.absoluteSum += all.absoluteSum;
    parts.squaredSum += all.squaredSum;
  }
  if (summary.labelledOutputs !== undefined) {
    const labelled = sketchLosses(summary.labelledOutputs, estimator);
    parts.labelledRows += labelled.rows;
    parts.labelledAbsoluteSum += labelled.absoluteSum;
    parts.labelledSquaredSum += labelled.squaredSum;
  }
}

/**
 * The window's DLE: estimated MAE and RMSE over every predicted element; the gap (realised minus
 * estimated on the labelled elements) only when every joined element's prediction is in the
 * labelled sketches (buckets saved before they existed leave it unset). Undefined with no element.
 */
export function directLossMetrics(
  parts: DirectLossParts,
  metrics: WindowMetrics,
): DleWindowMetrics | undefined {
  if (parts.rows === 0) return undefined;
  const regression = metrics.regression;
  const gapKnown = regression !== undefined && metrics.joined > 0 && parts.labelledRows === metrics.joined;
  return {
    count: parts.rows,
    mae: parts.absoluteSum / parts.rows,
    rmse: Math.sqrt(parts.squaredSum / parts.rows),
    ...(gapKnown && {
      gap: {
        pairs: parts.labelledRows,
        mae: regression.mae - parts.labelledAbsoluteSum / parts.labelledRows,
        rmse: regression.rmse - Math.sqrt(parts.labelledSquaredSum / parts.labelledRows),
      },
    }),
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
