/**
 * Sampling error of windowed metrics: a window's value with an interval, so a small window's
 * dip is not read as a drop.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { normalQuantile, studentTQuantile } from './distribution-quantiles.js';
import type { RunningMoments } from './running-moments.js';

/** Two-sided confidence level by default. */
export const DEFAULT_CONFIDENCE = 0.95;

/** A two-sided interval and how it was made. */
export interface ConfidenceInterval {
  readonly low: number;
  readonly high: number;
  /** Nominal coverage, e.g. 0.95. */
  readonly confidence: number;
  /**
   * `wilson` (proportions), `t` or `normal` (means), `bootstrap-percentile`, `simultaneous-normal`
   * (Bonferroni-joint normal intervals summed: ECE, conservative), for the
   * difference of two paired proportions `newcombe-paired` or `wald-paired` (comparison/),
   * `delta` (a smooth function of multinomial cell shares: F1, macro and weighted scores),
   * `delong` (ROC AUC) and `order-statistic` (a quantile: binomial ranks of the sample).
   */
  readonly method:
    | 'wilson'
    | 't'
    | 'normal'
    | 'bootstrap-percentile'
    | 'simultaneous-normal'
    | 'newcombe-paired'
    | 'wald-paired'
    | 'delta'
    | 'delong'
    | 'order-statistic';
}

/**
 * Wilson score interval for a proportion `successes / trials` (Newcombe 1998; scipy's
 * `binomtest(k, n).proportion_ci(method='wilson')`): center (2np + z²) / (2(n + z²)),
 * half-width z sqrt(z² + 4np(1-p)) / (2(n + z²)), z = the (1 + confidence)/2 normal quantile.
 * Unlike the normal (Wald) interval it stays inside [0, 1] and is not empty at 0 or n
 * successes. With no trials the interval is [0, 1]. Accuracy is the share of correct pairs;
 * precision (tp of predicted), recall (tp of true) and feedback coverage are proportions too.
 * @throws InvalidArgumentError for counts that are not 0 <= successes <= trials, or a bad level.
 */
export function wilsonInterval(
  successes: number,
  trials: number,
  confidence: number = DEFAULT_CONFIDENCE,
): ConfidenceInterval {
  checkConfidence(confidence);
  if (!(trials >= 0 && successes >= 0 && successes <= trials)) {
    throw new InvalidArgumentError(
      `wilson interval: expected 0 <= successes <= trials, got ${successes} of ${trials}`,
    );
  }
  if (trials === 0) return { low: 0, high: 1, confidence, method: 'wilson' };
  const z = normalQuantile(0.5 + confidence / 2);
  const p = successes / trials;
  const denominator = 2 * (trials + z * z);
  const center = (2 * trials * p + z * z) / denominator;
  const half = (z * Math.sqrt(z * z + 4 * trials * p * (1 - p))) / denominator;
  return { low: Math.max(center - half, 0), high: Math.min(center + half, 1), confidence, method: 'wilson' };
}

/**
 * Interval for the mean of a series from its running moments: mean +- q s / sqrt(n), s the
 * ddof = 1 standard deviation, q Student's t quantile with n - 1 degrees of freedom (`t`, scipy's
 * `t.interval(confidence, n - 1, mean, sem)`) or the normal one (`normal`, for large windows).
 * MAE and MSE are means of per-pair losses; an RMSE interval is the square root of the MSE's.
 * Fewer than two values give (-Infinity, Infinity).
 */
export function meanInterval(
  moments: RunningMoments,
  confidence: number = DEFAULT_CONFIDENCE,
  method: 't' | 'normal' = 't',
): ConfidenceInterval {
  checkConfidence(confidence);
  if (moments.count < 2) return { low: -Infinity, high: Infinity, confidence, method };
  const q =
    method === 't'
      ? studentTQuantile(0.5 + confidence / 2, moments.count - 1)
      : normalQuantile(0.5 + confidence / 2);
  const half = q * Math.sqrt(moments.m2 / (moments.count - 1) / moments.count);
  return { low: moments.mean - half, high: moments.mean + half, confidence, method };
}

/** @throws InvalidArgumentError unless 0 < confidence < 1. */
export function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new InvalidArgumentError(`confidence: expected a level in (0, 1), got ${confidence}`);
  }
}
