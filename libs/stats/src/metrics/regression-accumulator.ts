import { InvalidArgumentError } from '@sightline/errors';
import {
  type ConfidenceInterval,
  checkConfidence,
  DEFAULT_CONFIDENCE,
  meanInterval,
} from './confidence-intervals.js';
import {
  addR2Pair,
  isR2Moments,
  mergeR2Moments,
  type R2Moments,
  r2Interval,
  r2Moments,
} from './r2-moments.js';
import {
  addCompensated,
  addMoment,
  type CompensatedSum,
  compensatedSum,
  compensatedValue,
  mergeCompensated,
  mergeMoments,
  type RunningMoments,
  runningMoments,
  sampleVariance,
} from './running-moments.js';

/** Version of {@link RegressionAccumulatorJson}. */
export const REGRESSION_ACCUMULATOR_SCHEMA_VERSION = 1;
/** scikit-learn's MAPE floor on |y_true|: `np.finfo(np.float64).eps`, so y_true = 0 gives a huge but finite term. */
export const MAPE_EPSILON = Number.EPSILON;

/** A window's regression metrics. */
export interface RegressionMetrics {
  readonly count: number;
  /** Mean squared error (NaN for an empty window). */
  readonly mse: number;
  /** sqrt(MSE). */
  readonly rmse: number;
  /** Mean absolute error. */
  readonly mae: number;
  /** Mean of |y_pred - y_true| / max(|y_true|, {@link MAPE_EPSILON}), a fraction (not x100), as scikit-learn. */
  readonly mape: number;
  /**
   * 1 - SSE / sum (y - mean y)², scikit-learn's `r2_score` (force_finite): 1 when SSE is 0;
   * 0 when y_true is constant and SSE is not 0; NaN below two pairs.
   */
  readonly r2: number;
  /**
   * Standard errors of MSE and MAE as means of per-pair losses: sample standard deviation
   * (ddof 1) over sqrt(count); NaN below two pairs. (DLE's gap intervals combine them.)
   */
  readonly standardErrors: { readonly mse: number; readonly mae: number };
  /** t intervals (at the requested level) of MSE and MAE as means of per-pair losses; RMSE's is the square root of MSE's. */
  readonly intervals: {
    readonly mse: ConfidenceInterval;
    readonly rmse: ConfidenceInterval;
    readonly mae: ConfidenceInterval;
    /**
     * t interval of MAPE as the mean of per-pair absolute percentage errors (low end at least 0);
     * absent when part of the window was saved before their moments were kept.
     */
    readonly mape?: ConfidenceInterval;
    /**
     * Delta-method interval of R² from the pooled moments (high end at most 1; (-inf, 1] below
     * 3 pairs or for a constant y_true); absent when part of the window was saved before the
     * moments were kept.
     */
    readonly r2?: ConfidenceInterval;
  };
}

/** Saved form of a {@link RegressionAccumulator}. */
export interface RegressionAccumulatorJson {
  readonly schemaVersion: number;
  readonly squaredError: CompensatedSum;
  readonly absoluteError: CompensatedSum;
  readonly absolutePercentageError: CompensatedSum;
  readonly yTrue: RunningMoments;
  /** null for an empty window (JSON has no Infinity). */
  readonly yTrueMin: number | null;
  readonly yTrueMax: number | null;
  readonly squaredErrorMoments: RunningMoments;
  readonly absoluteErrorMoments: RunningMoments;
  /** Moments of the per-pair absolute percentage error; absent in windows saved before they were kept. */
  readonly absolutePercentageErrorMoments?: RunningMoments;
  /** Moments of R²'s delta interval; absent in windows saved before they were kept. */
  readonly r2Moments?: R2Moments;
}

/**
 * Mergeable sums of a regression window: compensated sums of squared, absolute and percentage
 * errors, y_true's running moments (for R²'s denominator without cancellation) and range, and
 * the losses' moments for their intervals. `metrics()` equals {@link regressionMetrics} over the
 * same pairs to rounding (a few ulps), however the window was split and merged.
 */
export class RegressionAccumulator {
  readonly #squaredError = compensatedSum();
  readonly #absoluteError = compensatedSum();
  readonly #absolutePercentageError = compensatedSum();
  readonly #yTrue = runningMoments();
  #yTrueMin = Infinity;
  #yTrueMax = -Infinity;
  readonly #squaredErrorMoments = runningMoments();
  readonly #absoluteErrorMoments = runningMoments();
  readonly #absolutePercentageErrorMoments = runningMoments();
  readonly #r2Moments = r2Moments();

  /** Pairs added. */
  get count(): number {
    return this.#yTrue.count;
  }

  /**
   * Adds one joined pair.
   * @throws InvalidArgumentError naming `y_true` or `y_pred` when not finite.
   */
  add(yTrue: number, yPred: number): void {
    if (!Number.isFinite(yTrue))
      throw new InvalidArgumentError(`y_true: expected a finite number, got ${yTrue}`);
    if (!Number.isFinite(yPred))
      throw new InvalidArgumentError(`y_pred: expected a finite number, got ${yPred}`);
    const error = yPred - yTrue;
    const absolute = Math.abs(error);
    addCompensated(this.#squaredError, error * error);
    addCompensated(this.#absoluteError, absolute);
    const percentage = absolute / Math.max(Math.abs(yTrue), MAPE_EPSILON);
    addCompensated(this.#absolutePercentageError, percentage);
    addMoment(this.#yTrue, yTrue);
    this.#yTrueMin = Math.min(this.#yTrueMin, yTrue);
    this.#yTrueMax = Math.max(this.#yTrueMax, yTrue);
    addMoment(this.#squaredErrorMoments, error * error);
    addMoment(this.#absoluteErrorMoments, absolute);
    addMoment(this.#absolutePercentageErrorMoments, percentage);
    addR2Pair(this.#r2Moments, yTrue, error * error);
  }

  /** Adds another window's sums into this one. */
  merge(other: RegressionAccumulator): void {
    mergeCompensated(this.#squaredError, other.#squaredError);
    mergeCompensated(this.#absoluteError, other.#absoluteError);
    mergeCompensated(this.#absolutePercentageError, other.#absolutePercentageError);
    mergeMoments(this.#yTrue, other.#yTrue);
    this.#yTrueMin = Math.min(this.#yTrueMin, other.#yTrueMin);
    this.#yTrueMax = Math.max(this.#yTrueMax, other.#yTrueMax);
    mergeMoments(this.#squaredErrorMoments, other.#squaredErrorMoments);
    mergeMoments(this.#absoluteErrorMoments, other.#absoluteErrorMoments);
    mergeMoments(this.#absolutePercentageErrorMoments, other.#absolutePercentageErrorMoments);
    mergeR2Moments(this.#r2Moments, { ...other.#r2Moments });
  }

  /** The window's metrics, intervals at `confidence` (default 0.95). */
  metrics(confidence: number = DEFAULT_CONFIDENCE): RegressionMetrics {
    checkConfidence(confidence);
    const n = this.count;
    const sse = compensatedValue(this.#squaredError);
    const mse = n === 0 ? Number.NaN : sse / n;
    const mseInterval = meanInterval(this.#squaredErrorMoments, confidence);
    let r2: number;
    if (n < 2) r2 = Number.NaN;
    else if (sse === 0) r2 = 1;
    // A constant y_true is detected from its range, exactly (scikit-learn only compares its rounded
    // sum of squares with 0, which a mean like 0.1 * 3 / 3 misses), or a sum of squares that underflowed.
    else if (this.#yTrueMin === this.#yTrueMax || this.#yTrue.m2 === 0) r2 = 0;
    else r2 = 1 - sse / this.#yTrue.m2;
    // Buckets saved before the moments were kept leave them short of the pairs: no interval then.
    const mapeInterval =
      n > 0 && this.#absolutePercentageErrorMoments.count === n
        ? meanInterval(this.#absolutePercentageErrorMoments, confidence)
        : undefined;
    const r2IntervalValue =
      n > 0 && this.#r2Moments.count === n ? r2Interval(this.#r2Moments, r2, confidence) : undefined;
    return {
      count: n,
      mse,
      rmse: Math.sqrt(mse),
      mae: n === 0 ? Number.NaN : compensatedValue(this.#absoluteError) / n,
      mape: n === 0 ? Number.NaN : compensatedValue(this.#absolutePercentageError) / n,
      r2,
      standardErrors: {
        mse: Math.sqrt(sampleVariance(this.#squaredErrorMoments) / n),
        mae: Math.sqrt(sampleVariance(this.#absoluteErrorMoments) / n),
      },
      intervals: {
        mse: mseInterval,
        rmse: {
          ...mseInterval,
          low: Math.sqrt(Math.max(mseInterval.low, 0)),
          high: Math.sqrt(mseInterval.high),
        },
        mae: meanInterval(this.#absoluteErrorMoments, confidence),
        ...(mapeInterval === undefined
          ? {}
          : { mape: { ...mapeInterval, low: Math.max(mapeInterval.low, 0) } }),
        ...(r2IntervalValue === undefined ? {} : { r2: r2IntervalValue }),
      },
    };
  }

  /** The saved form (versioned). */
  toJSON(): RegressionAccumulatorJson {
    return {
      schemaVersion: REGRESSION_ACCUMULATOR_SCHEMA_VERSION,
      squaredError: { ...this.#squaredError },
      absoluteError: { ...this.#absoluteError },
      absolutePercentageError: { ...this.#absolutePercentageError },
      yTrue: { ...this.#yTrue },
      yTrueMin: this.count === 0 ? null : this.#yTrueMin,
      yTrueMax: this.count === 0 ? null : this.#yTrueMax,
      squaredErrorMoments: { ...this.#squaredErrorMoments },
      absoluteErrorMoments: { ...this.#absoluteErrorMoments },
      absolutePercentageErrorMoments: { ...this.#absolutePercentageErrorMoments },
      r2Moments: { ...this.#r2Moments },
    };
  }

  /**
   * Restores a saved window.
   * @throws InvalidArgumentError on another schema version.
   */
  static fromJSON(json: RegressionAccumulatorJson): RegressionAccumulator {
    if (json.schemaVersion !== REGRESSION_ACCUMULATOR_SCHEMA_VERSION) {
      throw new InvalidArgumentError(
        `schemaVersion: expected ${REGRESSION_ACCUMULATOR_SCHEMA_VERSION}, got ${json.schemaVersion}`,
      );
    }
    const acc = new RegressionAccumulator();
    Object.assign(acc.#squaredError, json.squaredError);
    Object.assign(acc.#absoluteError, json.absoluteError);
    Object.assign(acc.#absolutePercentageError, json.absolutePercentageError);
    Object.assign(acc.#yTrue, json.yTrue);
    acc.#yTrueMin = json.yTrueMin ?? Infinity;
    acc.#yTrueMax = json.yTrueMax ?? -Infinity;
    Object.assign(acc.#squaredErrorMoments, json.squaredErrorMoments);
    Object.assign(acc.#absoluteErrorMoments, json.absoluteErrorMoments);
    if (json.absolutePercentageErrorMoments !== undefined) {
      const m = json.absolutePercentageErrorMoments;
      if (!(Number.isInteger(m?.count) && m.count >= 0 && Number.isFinite(m.mean) && Number.isFinite(m.m2))) {
        throw new InvalidArgumentError(
          'absolutePercentageErrorMoments: expected {count, mean, m2} with an integer count >= 0',
        );
      }
      Object.assign(acc.#absolutePercentageErrorMoments, { count: m.count, mean: m.mean, m2: m.m2 });
    }
    if (json.r2Moments !== undefined) {
      if (!isR2Moments(json.r2Moments)) {
        throw new InvalidArgumentError('r2Moments: expected finite moments with an integer count >= 0');
      }
      mergeR2Moments(acc.#r2Moments, { ...json.r2Moments });
    }
    return acc;
  }
}

/**
 * MSE, RMSE, MAE, MAPE and R² of a batch, as scikit-learn 1.2's `mean_squared_error`,
 * `mean_absolute_error`, `mean_absolute_percentage_error` and `r2_score`, with t intervals.
 * @throws InvalidArgumentError on different lengths or a non-finite value, naming the row.
 */
export function regressionMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  confidence: number = DEFAULT_CONFIDENCE,
): RegressionMetrics {
  if (yPred.length !== yTrue.length) {
    throw new InvalidArgumentError(
      `y_pred: expected ${yTrue.length} values (as y_true), got ${yPred.length}`,
    );
  }
  const acc = new RegressionAccumulator();
  for (let i = 0; i < yTrue.length; i++) {
    if (!Number.isFinite(yTrue[i]!))
      throw new InvalidArgumentError(`y_true[${i}]: expected a finite number, got ${yTrue[i]}`);
    if (!Number.isFinite(yPred[i]!))
      throw new InvalidArgumentError(`y_pred[${i}]: expected a finite number, got ${yPred[i]}`);
    acc.add(yTrue[i]!, yPred[i]!);
  }
  return acc.metrics(confidence);
}
