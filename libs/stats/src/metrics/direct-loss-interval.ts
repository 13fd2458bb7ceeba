/**
 * The sampling error of direct loss estimation: where a window's realised MAE and RMSE lie
 * around the estimate, and where the gap (realised minus estimated) lies when the loss models
 * are right.
 *
 * NannyML's DLE gives the estimate ± the reference's per-row loss standard deviation (ddof 0)
 * over sqrt(chunk size), and RMSE's by the delta method on MSE. Two things differ here, both
 * measured on the coverage simulation (test/direct-loss-interval-fidelity.test.ts):
 *
 * - The per-row spread is the loss models' residual spread, not the loss's own. The estimate
 *   is already conditioned on the window's rows (each scored by the loss model), so what the
 *   realised mean scatters by is the part of each row's loss the model does not explain:
 *   Var(|e| - l(x)) = Var|e| - Var l(x) when l is E[|e| given x]. NannyML's spread counts the
 *   explained part again and so over-covers wherever the loss model explains anything.
 * - The loss models' own error is added: the fit's intercept is a mean over the reference's
 *   N rows, off by about residual sd / sqrt(N), the same for every window. Without it a
 *   window as large as the reference would be covered about 83% of the time, not 95%.
 *
 * So, per series, n² Var(realised mean - estimate) = sd² (n + n² / N), and the parts of a
 * window made of several series (each with its own models) add. The slope terms' error (the
 * window's mean prediction away from the reference's) is left out: second order for a window
 * like the reference, and not what a monitoring interval can know about an extrapolation.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { type ConfidenceInterval, checkConfidence, DEFAULT_CONFIDENCE } from './confidence-intervals.js';
import { normalQuantile } from './distribution-quantiles.js';

/** What a fit keeps for the interval (see {@link DirectLossEstimator.samplingError}). */
export interface DirectLossSamplingError {
  /** Labelled reference rows the loss models were fitted on. */
  readonly referenceRows: number;
  /** Residual standard deviation of the absolute-error model on the reference. */
  readonly absoluteResidualSd: number;
  /** Residual standard deviation of the squared-error model on the reference. */
  readonly squaredResidualSd: number;
}

/**
 * Mergeable variance sums of a window's estimate: over the series in it, rows² × the variance
 * of (realised mean loss - estimated mean loss), so the window's standard error is
 * sqrt(sum) / rows.
 */
export interface DirectLossVariance {
  /** Of the absolute error (MAE). */
  absolute: number;
  /** Of the squared error (MSE). */
  squared: number;
}

/** Intervals of DLE's MAE and RMSE (RMSE's absent where the delta method has no slope: an RMSE of 0). */
export interface DirectLossIntervals {
  /** Normal: value ± z × standard error, low end at least 0 for an estimate. */
  readonly mae?: ConfidenceInterval;
  /** Delta method on MSE: value ± z × SE(MSE) / (2 RMSE). */
  readonly rmse?: ConfidenceInterval;
}

/** Empty sums. */
export function directLossVariance(): DirectLossVariance {
  return { absolute: 0, squared: 0 };
}

/**
 * Adds one series' `rows` scored by models with `sampling` into `variance`: the rows' own
 * scatter around the models plus the models' fit error, sd² (rows + rows² / N).
 */
export function addDirectLossVariance(
  variance: DirectLossVariance,
  sampling: DirectLossSamplingError,
  rows: number,
): void {
  const perRow = rows + (rows * rows) / sampling.referenceRows;
  variance.absolute += sampling.absoluteResidualSd ** 2 * perRow;
  variance.squared += sampling.squaredResidualSd ** 2 * perRow;
}

/**
 * Adds only the models' fit error of one series' `rows`, sd² rows² / N: the gap's part from the
 * estimate (the rows' own scatter is in the realised values' standard errors).
 */
export function addDirectLossFitVariance(
  variance: DirectLossVariance,
  sampling: DirectLossSamplingError,
  rows: number,
): void {
  const fit = (rows * rows) / sampling.referenceRows;
  variance.absolute += sampling.absoluteResidualSd ** 2 * fit;
  variance.squared += sampling.squaredResidualSd ** 2 * fit;
}

/**
 * Where the window's realised MAE and RMSE lie around DLE's estimate of `rows` rows (with
 * `variance` summed over the same rows), at `confidence`.
 * @throws InvalidArgumentError for a bad level, a row count below 1 or negative variance sums.
 */
export function directLossEstimateIntervals(
  estimate: { readonly mae: number; readonly rmse: number },
  rows: number,
  variance: DirectLossVariance,
  confidence: number = DEFAULT_CONFIDENCE,
): DirectLossIntervals {
  checkInputs(rows, variance, confidence);
  const z = normalQuantile(0.5 + confidence / 2);
  const maeSe = Math.sqrt(variance.absolute) / rows;
  const mseSe = Math.sqrt(variance.squared) / rows;
  return {
    mae: normal(estimate.mae, maeSe, z, confidence, 0),
    ...(estimate.rmse > 0 && { rmse: delta(estimate.rmse, mseSe / (2 * estimate.rmse), z, confidence, 0) }),
  };
}

/** The realised side of a gap: RegressionMetrics' values and standard errors over the labelled rows. */
export interface RealisedLosses {
  readonly count: number;
  readonly rmse: number;
  readonly standardErrors: { readonly mae: number; readonly mse: number };
}

/**
 * Where the gap (realised minus estimated on the same labelled rows) lies if the loss models are
 * right: ± z × sqrt(realised SE² + the estimate's fit error²). The realised standard errors
 * are the window's own (its observed loss scatter, which bounds the residual scatter from above
 * and follows a window whose scatter moved); `fitVariance` holds the models' fit error over
 * the same rows ({@link addDirectLossFitVariance}). RMSE's parts are each by the delta method.
 * Empty below 2 labelled rows (no realised standard error).
 * @throws InvalidArgumentError for a bad level or negative variance sums.
 */
export function directLossGapIntervals(
  gap: { readonly mae: number; readonly rmse: number },
  realised: RealisedLosses,
  estimatedRmse: number,
  fitVariance: DirectLossVariance,
  confidence: number = DEFAULT_CONFIDENCE,
): DirectLossIntervals {
  const m = realised.count;
  checkInputs(m, fitVariance, confidence);
  const { mae: realisedMaeSe, mse: realisedMseSe } = realised.standardErrors;
  if (!(Number.isFinite(realisedMaeSe) && Number.isFinite(realisedMseSe))) return {};
  const z = normalQuantile(0.5 + confidence / 2);
  const maeSe = Math.sqrt(realisedMaeSe ** 2 + fitVariance.absolute / (m * m));
  const out: { mae: ConfidenceInterval; rmse?: ConfidenceInterval } = {
    mae: normal(gap.mae, maeSe, z, confidence, -Infinity),
  };
  if (realised.rmse > 0 && estimatedRmse > 0) {
    const realisedRmseSe = realisedMseSe / (2 * realised.rmse);
    const estimatedRmseSe = Math.sqrt(fitVariance.squared) / m / (2 * estimatedRmse);
    out.rmse = delta(gap.rmse, Math.hypot(realisedRmseSe, estimatedRmseSe), z, confidence, -Infinity);
  }
  return out;
}

function normal(value: number, se: number, z: number, confidence: number, floor: number): ConfidenceInterval {
  return { low: Math.max(value - z * se, floor), high: value + z * se, confidence, method: 'normal' };
}

function delta(value: number, se: number, z: number, confidence: number, floor: number): ConfidenceInterval {
  return { low: Math.max(value - z * se, floor), high: value + z * se, confidence, method: 'delta' };
}

function checkInputs(rows: number, variance: DirectLossVariance, confidence: number): void {
  checkConfidence(confidence);
  if (!(Number.isSafeInteger(rows) && rows >= 1)) {
    throw new InvalidArgumentError(`rows: expected an integer >= 1, got ${rows}`);
  }
  for (const field of ['absolute', 'squared'] as const) {
    const value = variance[field];
    if (!(Number.isFinite(value) && value >= 0)) {
      throw new InvalidArgumentError(`variance.${field}: expected a finite number >= 0, got ${value}`);
    }
  }
}
