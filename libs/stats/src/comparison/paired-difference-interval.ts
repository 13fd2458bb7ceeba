/**
 * Confidence interval for the difference in accuracy of two classifiers on the same rows. The
 * rows are paired, so the two accuracies are correlated and the independent-samples intervals
 * are too wide when the models agree on most rows.
 */
import {
  type ConfidenceInterval,
  checkConfidence,
  DEFAULT_CONFIDENCE,
  wilsonInterval,
} from '../metrics/confidence-intervals.js';
import { normalQuantile } from '../metrics/distribution-quantiles.js';
import { checkPairedCounts, type PairedCounts, pairCount } from './paired-counts.js';

/** `newcombe` (default): Newcombe's square-and-add on Wilson intervals; `wald`: difference +- z standard error. */
export type PairedIntervalMethod = 'newcombe' | 'wald';

/** Accuracies of the two models and their difference (candidate minus baseline). */
export interface PairedAccuracyDifference {
  readonly pairs: number;
  readonly baselineAccuracy: number;
  readonly candidateAccuracy: number;
  /** Candidate accuracy minus baseline accuracy = (c - b) / n. */
  readonly difference: number;
  readonly interval: ConfidenceInterval;
}

/**
 * The accuracy difference (candidate - baseline) with a paired interval.
 *
 * - `newcombe`: Newcombe (1998, Statistics in Medicine 17:2635, method 10), the square-and-add
 *   (MOVER) interval on the two Wilson intervals with the correlation phi of the 2x2 table,
 *   phi's numerator ad - bc reduced by n/2 when positive (floored at 0), as in Newcombe's paper and
 *   Fagerland, Lydersen & Laake's `Newcombe_square_and_add_CI_paired_2x2`; phi = 0 when a margin is
 *   empty. It stays inside [-1, 1], is not degenerate at 0 discordant rows, and keeps its coverage
 *   for small tables, where the Wald interval is too narrow.
 * - `wald`: (c - b)/n +- z sqrt((b + c) - (c - b)²/n) / n (Fagerland et al.'s Wald interval for
 *   paired proportions, clipped to [-1, 1]); adequate only for many discordant rows.
 *
 * With no rows the interval is [-1, 1] and the accuracies NaN.
 * @throws InvalidArgumentError for a bad count or a confidence outside (0, 1).
 */
export function pairedAccuracyDifference(
  counts: PairedCounts,
  confidence: number = DEFAULT_CONFIDENCE,
  method: PairedIntervalMethod = 'newcombe',
): PairedAccuracyDifference {
  checkPairedCounts(counts);
  checkConfidence(confidence);
  const n = pairCount(counts);
  const intervalMethod = method === 'newcombe' ? 'newcombe-paired' : 'wald-paired';
  if (n === 0) {
    return {
      pairs: 0,
      baselineAccuracy: Number.NaN,
      candidateAccuracy: Number.NaN,
      difference: 0,
      interval: { low: -1, high: 1, confidence, method: intervalMethod },
    };
  }
  const { bothCorrect: a, baselineOnlyCorrect: b, candidateOnlyCorrect: c } = counts;
  const baselineAccuracy = (a + b) / n;
  const candidateAccuracy = (a + c) / n;
  const difference = (c - b) / n;
  const bounds =
    method === 'newcombe'
      ? newcombeBounds(counts, n, confidence, baselineAccuracy, candidateAccuracy, difference)
      : waldBounds(b, c, n, confidence, difference);
  return {
    pairs: n,
    baselineAccuracy,
    candidateAccuracy,
    difference,
    interval: { low: bounds[0], high: bounds[1], confidence, method: intervalMethod },
  };
}

function waldBounds(
  b: number,
  c: number,
  n: number,
  confidence: number,
  difference: number,
): [number, number] {
  const z = normalQuantile(0.5 + confidence / 2);
  const half = (z * Math.sqrt(Math.max(b + c - ((c - b) * (c - b)) / n, 0))) / n;
  return [Math.max(difference - half, -1), Math.min(difference + half, 1)];
}

function newcombeBounds(
  counts: PairedCounts,
  n: number,
  confidence: number,
  pBase: number,
  pCand: number,
  difference: number,
): [number, number] {
  const { bothCorrect: a, baselineOnlyCorrect: b, candidateOnlyCorrect: c, bothWrong: d } = counts;
  const cand = wilsonInterval(a + c, n, confidence);
  const base = wilsonInterval(a + b, n, confidence);
  // Margins of the table: candidate right / wrong, baseline right / wrong.
  const margins = (a + c) * (b + d) * (a + b) * (c + d);
  let phi = 0;
  if (margins > 0) {
    const cross = a * d - b * c;
    // Newcombe's correction: a positive association counts only beyond n/2.
    const numerator = cross > n / 2 ? cross - n / 2 : Math.min(cross, 0);
    phi = numerator / Math.sqrt(margins);
  }
  const candDown = pCand - cand.low;
  const candUp = cand.high - pCand;
  const baseDown = pBase - base.low;
  const baseUp = base.high - pBase;
  const lowHalf = Math.sqrt(Math.max(candDown ** 2 - 2 * phi * candDown * baseUp + baseUp ** 2, 0));
  const highHalf = Math.sqrt(Math.max(candUp ** 2 - 2 * phi * candUp * baseDown + baseDown ** 2, 0));
  return [difference - lowHalf, difference + highHalf];
}
