/**
 * Distribution-free confidence intervals of a quantile from order statistics, read from a
 * quantile sketch.
 *
 * The number of sample values below the population's q-quantile is Binomial(n, q) (continuous
 * distribution, independent values), so with l = the α/2 quantile and u = the 1 - α/2 quantile
 * of that binomial (scipy's `binom.ppf`), the order statistics X(l) and X(u + 1) (1-based)
 * cover the q-quantile with probability at least 1 - α (Hahn & Meeker 1991, §5.2). A rank
 * outside 1..n has no order statistic: that end is -Infinity or +Infinity. A sketch answers
 * each order statistic within its relative accuracy, so the ends are widened by it.
 */

import { InvalidArgumentError } from '@sightline/errors';
import betainc from '@stdlib/math-base-special-betainc';
import {
  type ConfidenceInterval,
  checkConfidence,
  DEFAULT_CONFIDENCE,
} from '../metrics/confidence-intervals.js';
import type { QuantileSketch } from './quantile-sketch.js';

/** 1-based ranks of the order statistics bounding the q-quantile (0 or n + 1: no bound on that side). */
export interface QuantileRanks {
  readonly low: number;
  readonly high: number;
}

/** P(Binomial(n, q) <= k). */
function binomialCdf(k: number, n: number, q: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  return betainc(1 - q, n - k, k + 1, true, false);
}

/** The smallest k with P(Binomial(n, q) <= k) >= p (scipy's `binom.ppf(p, n, q)`). */
export function binomialQuantile(p: number, n: number, q: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (binomialCdf(mid, n, q) >= p) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * The 1-based ranks (l, u) whose order statistics cover the q-quantile of the population at
 * `confidence` or more: l = binom.ppf(α/2, n, q), u = binom.ppf(1 - α/2, n, q) + 1.
 * @throws InvalidArgumentError for n not an integer >= 1, q outside (0, 1) or a bad level.
 */
export function quantileRanks(n: number, q: number, confidence: number = DEFAULT_CONFIDENCE): QuantileRanks {
  checkConfidence(confidence);
  if (!(Number.isInteger(n) && n >= 1))
    throw new InvalidArgumentError(`count: expected an integer >= 1, got ${n}`);
  if (!(q > 0 && q < 1)) throw new InvalidArgumentError(`q: expected a quantile in (0, 1), got ${q}`);
  const alpha = 1 - confidence;
  return { low: binomialQuantile(alpha / 2, n, q), high: binomialQuantile(1 - alpha / 2, n, q) + 1 };
}

/**
 * Order-statistic interval (method `order-statistic`) of the q-quantile of the population the
 * sketch's values were drawn from: X(l) and X(u) read from the sketch, widened by its relative
 * accuracy (and kept within the sample's exact min and max). NaN ends for an empty sketch.
 * @throws InvalidArgumentError for q outside (0, 1) or a bad level.
 */
export function sketchQuantileInterval(
  sketch: QuantileSketch,
  q: number,
  confidence: number = DEFAULT_CONFIDENCE,
): ConfidenceInterval {
  checkConfidence(confidence);
  const n = sketch.count;
  if (n === 0) return { low: Number.NaN, high: Number.NaN, confidence, method: 'order-statistic' };
  const ranks = quantileRanks(n, q, confidence);
  const relative = sketch.relativeAccuracy;
  const low =
    ranks.low < 1 ? -Infinity : Math.max(widen(orderStatistic(sketch, ranks.low), -relative), sketch.min);
  const high =
    ranks.high > n ? Infinity : Math.min(widen(orderStatistic(sketch, ranks.high), relative), sketch.max);
  return { low, high, confidence, method: 'order-statistic' };
}

/** The sketch's value of 1-based rank r: the sketch answers rank q (n - 1) (0-based); half a rank up keeps rounding off the edge. */
function orderStatistic(sketch: QuantileSketch, rank: number): number {
  const n = sketch.count;
  if (rank === 1) return sketch.min;
  if (rank === n) return sketch.max;
  return sketch.quantile((rank - 1 + 0.5) / (n - 1));
}

/** x moved by the fraction `by` of its magnitude (down for by < 0). */
function widen(x: number, by: number): number {
  return x + by * Math.abs(x);
}
