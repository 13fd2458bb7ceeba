/**
 * Mergeable window sums of the losses a {@link DirectLossEstimator} predicts, and the MAE/RMSE
 * estimate read from them: windows close on count or time and merge into longer ones by adding.
 */
import { InvalidArgumentError } from '@sightline/errors';

/** Sums of predicted losses over a window of unlabelled predictions. */
export interface DirectLossSums {
  /** Predictions counted. */
  count: number;
  /** Sum of the predicted absolute errors. */
  absoluteSum: number;
  /** Sum of the predicted squared errors. */
  squaredSum: number;
}

/** The label-free estimate of a window. */
export interface DirectLossEstimate {
  readonly count: number;
  /** Mean predicted absolute error (NaN with no rows). */
  readonly mae: number;
  /** Square root of the mean predicted squared error (NaN with no rows). */
  readonly rmse: number;
}

/** Empty sums. */
export function directLossSums(): DirectLossSums {
  return { count: 0, absoluteSum: 0, squaredSum: 0 };
}

/** Adds `other` into `sums` in place. */
export function mergeDirectLossSums(sums: DirectLossSums, other: DirectLossSums): void {
  checkDirectLossSums(other);
  sums.count += other.count;
  sums.absoluteSum += other.absoluteSum;
  sums.squaredSum += other.squaredSum;
}

/** Estimated MAE and RMSE of the window (NannyML's DLE reads them the same way from its loss models). */
export function estimateDirectLoss(sums: DirectLossSums): DirectLossEstimate {
  checkDirectLossSums(sums);
  const n = sums.count;
  return {
    count: n,
    mae: n === 0 ? Number.NaN : sums.absoluteSum / n,
    rmse: n === 0 ? Number.NaN : Math.sqrt(sums.squaredSum / n),
  };
}

/**
 * Sums read back from JSON are checked before use.
 * @throws InvalidArgumentError naming the field: count a non-negative integer, sums finite and >= 0.
 */
export function checkDirectLossSums(sums: DirectLossSums): void {
  if (!(Number.isSafeInteger(sums.count) && sums.count >= 0)) {
    throw new InvalidArgumentError(
      `direct loss sums "count": expected a non-negative integer, got ${sums.count}`,
    );
  }
  for (const field of ['absoluteSum', 'squaredSum'] as const) {
    const value = sums[field];
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgumentError(
        `direct loss sums "${field}": expected a finite number >= 0, got ${value}`,
      );
    }
  }
}
