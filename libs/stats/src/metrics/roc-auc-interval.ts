/**
 * DeLong's standard error of a ROC AUC read from per-bin counts (DeLong, DeLong & Clarke-Pearson
 * 1988), and intervals of the one-vs-rest AUCs and their averages.
 *
 * From the histogram, every positive in bin b has the placement value V10 = (negatives below b +
 * half the negatives in b) / negatives and every negative V01 = (positives above b + half the
 * positives in b) / positives; AUC is the mean of either, and its variance is
 * var(V10) / positives + var(V01) / negatives (ddof = 1). On the binned scores this is DeLong's
 * estimator exactly (pairs in one bin count as ties); the binned AUC's own error bound
 * (`maxError`) is added to both ends so the interval covers the exact-score AUC too.
 */
import { type ConfidenceInterval, checkConfidence, DEFAULT_CONFIDENCE } from './confidence-intervals.js';
import { normalQuantile } from './distribution-quantiles.js';
import type { RocAucResult } from './roc-auc.js';

/** Intervals of a {@link RocAucResult}'s figures (method `delong`). */
export interface RocAucIntervals {
  /** Per class; [0, 1] where the class's AUC is undefined or rests on fewer than 2 positives or negatives. */
  readonly perClass: readonly ConfidenceInterval[];
  /**
   * Macro average: the per-class AUCs share their rows, so their covariances are unknown from
   * per-class histograms; the standard error used is the mean of the per-class ones, an upper
   * bound of the average's (sd(sum) <= sum of sds), so this interval is conservative.
   */
  readonly macro: ConfidenceInterval;
  /** Support-weighted average, bounded the same way. */
  readonly weighted: ConfidenceInterval;
  /** With two classes, the second class's interval. */
  readonly binary?: ConfidenceInterval;
}

/**
 * DeLong's standard error of the AUC of scores binned ascending (`positives[b]`, `negatives[b]`
 * counts per bin); NaN below 2 positives or 2 negatives.
 */
export function binnedRocAucStandardError(
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
): number {
  let nPositive = 0;
  let nNegative = 0;
  for (let b = 0; b < positives.length; b++) {
    nPositive += positives[b]!;
    nNegative += negatives[b]!;
  }
  if (nPositive < 2 || nNegative < 2) return Number.NaN;
  // First pass: the AUC; second: the placement values' spread around it (two passes keep it exact).
  let negativesBelow = 0;
  let area = 0;
  for (let b = 0; b < positives.length; b++) {
    area += positives[b]! * (negativesBelow + negatives[b]! / 2);
    negativesBelow += negatives[b]!;
  }
  const auc = area / (nPositive * nNegative);
  let below = 0;
  let above = nPositive;
  let positiveSquares = 0;
  let negativeSquares = 0;
  for (let b = 0; b < positives.length; b++) {
    above -= positives[b]!;
    if (positives[b]! > 0) {
      const v10 = (below + negatives[b]! / 2) / nNegative - auc;
      positiveSquares += positives[b]! * v10 * v10;
    }
    if (negatives[b]! > 0) {
      const v01 = (above + positives[b]! / 2) / nPositive - auc;
      negativeSquares += negatives[b]! * v01 * v01;
    }
    below += negatives[b]!;
  }
  const variance =
    positiveSquares / (nPositive - 1) / nPositive + negativeSquares / (nNegative - 1) / nNegative;
  return Math.sqrt(variance);
}

/**
 * Intervals of one-vs-rest AUCs: AUC ± (z SE + maxError), clipped to [0, 1].
 * @param standardErrors per class, from {@link binnedRocAucStandardError} (NaN: no interval, [0, 1]).
 * @param support per class, the weights of the weighted average.
 */
export function rocAucIntervals(
  auc: RocAucResult,
  standardErrors: ArrayLike<number>,
  support: ArrayLike<number>,
  confidence: number = DEFAULT_CONFIDENCE,
): RocAucIntervals {
  checkConfidence(confidence);
  const z = normalQuantile(0.5 + confidence / 2);
  const interval = (value: number, se: number): ConfidenceInterval =>
    Number.isFinite(value) && Number.isFinite(se)
      ? {
          low: Math.max(value - z * se - auc.maxError, 0),
          high: Math.min(value + z * se + auc.maxError, 1),
          confidence,
          method: 'delong',
        }
      : { low: 0, high: 1, confidence, method: 'delong' };
  let defined = 0;
  let seSum = 0;
  let weightedSeSum = 0;
  let weight = 0;
  let anyUnknown = false;
  for (let c = 0; c < auc.perClass.length; c++) {
    if (Number.isNaN(auc.perClass[c]!)) continue;
    const se = standardErrors[c]!;
    if (!Number.isFinite(se)) anyUnknown = true;
    defined += 1;
    seSum += se;
    weightedSeSum += se * support[c]!;
    weight += support[c]!;
  }
  const unknown = anyUnknown ? Number.NaN : 0;
  return {
    perClass: Array.from(auc.perClass, (value, c) => interval(value, standardErrors[c]!)),
    macro: interval(auc.macro, defined === 0 ? Number.NaN : seSum / defined + unknown),
    weighted: interval(auc.weighted, weight === 0 ? Number.NaN : weightedSeSum / weight + unknown),
    ...(auc.binary === undefined ? {} : { binary: interval(auc.binary, standardErrors[1]!) }),
  };
}
