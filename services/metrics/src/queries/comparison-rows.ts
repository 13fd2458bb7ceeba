/**
 * Per-row metric functions over paired rows, for the paired bootstrap: each takes the resampled
 * row indices and recomputes the metric on them exactly as the windows' metric would.
 */
import {
  type ClassIndex,
  logLossTerm,
  MAPE_EPSILON,
  type RowMetric,
  scoresFromConfusion,
} from '@sightline/stats';

/** One side's classification rows: predicted and true class index per paired row. */
export interface LabelRows {
  readonly predicted: Int32Array;
  readonly truth: Int32Array;
}

/** Macro or weighted F1 (zero_division 0) over the resampled rows. */
export function f1Metric(rows: LabelRows, index: ClassIndex, average: 'macro' | 'weighted'): RowMetric {
  const k = index.classes.length;
  return (indices) => {
    const confusion = new Float64Array(k * k);
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i]!;
      confusion[rows.truth[row]! * k + rows.predicted[row]!]! += 1;
    }
    return scoresFromConfusion(index.classes, confusion)[average].f1;
  };
}

/** Mean log loss of rows (each row's own probabilities and true class). */
export function logLossMetric(losses: Float64Array): RowMetric {
  return (indices) => {
    let sum = 0;
    for (let i = 0; i < indices.length; i++) sum += losses[indices[i]!]!;
    return sum / indices.length;
  };
}

/** One row's log loss, clipped as scikit-learn clips. */
export function rowLogLoss(probabilities: readonly number[], trueClass: number): number {
  return logLossTerm(probabilities, 0, probabilities.length, trueClass);
}

/** One side's regression rows: the elements of each paired row, flattened, with row offsets. */
export interface ValueRows {
  /** Row r's elements are [offsets[r], offsets[r + 1]). */
  readonly offsets: Uint32Array;
  readonly predicted: Float64Array;
  readonly truth: Float64Array;
}

export type RegressionMetricName = 'mae' | 'mse' | 'rmse' | 'mape' | 'r2';

/**
 * A regression metric over the elements of the resampled rows (scikit-learn's uniform average
 * over pooled elements, as the windows compute it; R² forced finite: 1 when SSE is 0, 0 when
 * y_true is constant, NaN below two elements).
 */
export function regressionMetric(rows: ValueRows, metric: RegressionMetricName): RowMetric {
  return (indices) => {
    let n = 0;
    let absolute = 0;
    let squared = 0;
    let percentage = 0;
    let sumY = 0;
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i]!;
      for (let e = rows.offsets[row]!; e < rows.offsets[row + 1]!; e++) {
        const y = rows.truth[e]!;
        const error = rows.predicted[e]! - y;
        n += 1;
        absolute += Math.abs(error);
        squared += error * error;
        percentage += Math.abs(error) / Math.max(Math.abs(y), MAPE_EPSILON);
        sumY += y;
      }
    }
    if (metric === 'mae') return absolute / n;
    if (metric === 'mse') return squared / n;
    if (metric === 'rmse') return Math.sqrt(squared / n);
    if (metric === 'mape') return percentage / n;
    if (n < 2) return Number.NaN;
    if (squared === 0) return 1;
    // A second pass about the mean: sum(y²) - n mean² cancels badly for large, close values.
    const mean = sumY / n;
    let total = 0;
    for (let i = 0; i < indices.length; i++) {
      const row = indices[i]!;
      for (let e = rows.offsets[row]!; e < rows.offsets[row + 1]!; e++) total += (rows.truth[e]! - mean) ** 2;
    }
    return total === 0 ? 0 : 1 - squared / total;
  };
}
