/**
 * Confidence-based performance estimation (NannyML's CBPE): the accuracy and F1 a classifier
 * is expected to have on a window whose labels have not arrived, from its own calibrated
 * probabilities. If P(true class = k | row) = p_k, the expected confusion counts are sums of
 * probabilities, and so are mergeable window sums.
 */
import { InvalidArgumentError } from '@sightline/errors';

/** Mergeable sums of a window of predictions (no labels needed). */
export interface CbpeSums {
  /** Predictions counted. */
  count: number;
  /** Per class k: predictions of k. */
  readonly predictedCount: Float64Array;
  /** Per class k: sum over predictions of k of p_k (expected true positives of k). */
  readonly predictedProbabilitySum: Float64Array;
  /** Per class k: sum over every prediction of p_k (expected rows truly of k). */
  readonly probabilitySum: Float64Array;
  /** Sum over predictions of p(predicted class)² (for the estimate's sampling error). */
  predictedSquareSum: number;
}

/** CBPE's estimates for a window. */
export interface CbpeEstimate {
  /** Predictions the estimate rests on. */
  readonly count: number;
  /** Expected accuracy: mean over rows of the probability of the predicted class (NaN with no rows). */
  readonly accuracy: number;
  /**
   * Standard deviation of the realised accuracy around the estimate if the probabilities are
   * calibrated: sqrt(sum c(1 - c)) / n, c the probability of the predicted class (the realised
   * count of correct rows is then Poisson-binomial).
   */
  readonly accuracyStandardError: number;
  /** Per class: expected one-vs-rest F1 = 2 TP / (2 TP + FP + FN) with expected counts (0 when undefined). */
  readonly f1: Float64Array;
  /** Mean of the per-class F1 (NannyML's multiclass `f1`, macro). */
  readonly f1Macro: number;
}

/** Empty sums for `classCount` classes. */
export function cbpeSums(classCount: number): CbpeSums {
  return {
    count: 0,
    predictedCount: new Float64Array(classCount),
    predictedProbabilitySum: new Float64Array(classCount),
    probabilitySum: new Float64Array(classCount),
    predictedSquareSum: 0,
  };
}

/** Adds one prediction: the predicted class and the row's probabilities (class order) from `offset`. */
export function addCbpePrediction(
  sums: CbpeSums,
  predictedClass: number,
  probabilities: ArrayLike<number>,
  offset = 0,
): void {
  const k = sums.predictedCount.length;
  sums.count += 1;
  const p = probabilities[offset + predictedClass]!;
  sums.predictedCount[predictedClass]! += 1;
  sums.predictedProbabilitySum[predictedClass]! += p;
  sums.predictedSquareSum += p * p;
  for (let c = 0; c < k; c++) sums.probabilitySum[c]! += probabilities[offset + c]!;
}

/** Adds `other` into `sums` in place. */
export function mergeCbpeSums(sums: CbpeSums, other: CbpeSums): void {
  if (other.predictedCount.length !== sums.predictedCount.length) {
    throw new InvalidArgumentError(
      `cbpe: cannot merge sums of ${other.predictedCount.length} classes into ${sums.predictedCount.length}`,
    );
  }
  sums.count += other.count;
  sums.predictedSquareSum += other.predictedSquareSum;
  for (let c = 0; c < sums.predictedCount.length; c++) {
    sums.predictedCount[c]! += other.predictedCount[c]!;
    sums.predictedProbabilitySum[c]! += other.predictedProbabilitySum[c]!;
    sums.probabilitySum[c]! += other.probabilitySum[c]!;
  }
}

/**
 * CBPE estimates of a window. Expected counts per class k: TP = sum of p_k over predictions
 * of k, FP = predictions of k - TP, FN = sum of p_k over all rows - TP. The probabilities must
 * be calibrated (NannyML calibrates them on labelled reference data first); uncalibrated
 * scores give a biased estimate.
 */
export function estimateCbpe(sums: CbpeSums): CbpeEstimate {
  const k = sums.predictedCount.length;
  const n = sums.count;
  let correct = 0;
  for (let c = 0; c < k; c++) correct += sums.predictedProbabilitySum[c]!;
  const f1 = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const denominator = sums.predictedCount[c]! + sums.probabilitySum[c]!;
    f1[c] = denominator === 0 ? 0 : (2 * sums.predictedProbabilitySum[c]!) / denominator;
  }
  const variance = Math.max(correct - sums.predictedSquareSum, 0);
  return {
    count: n,
    accuracy: n === 0 ? Number.NaN : correct / n,
    accuracyStandardError: n === 0 ? Number.NaN : Math.sqrt(variance) / n,
    f1,
    f1Macro: k === 0 ? Number.NaN : f1.reduce((a, b) => a + b, 0) / k,
  };
}
