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
  /**
   * For macro F1's standard error, with at most the sums' interval class bound (`cbpeSums`'s
   * `maxIntervalClasses`, default {@link DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES}) classes:
   * `cross[k K + l]` = sum over rows of p_k p_l, `predictedCross[m K + k]` = sum over rows
   * predicted m of p_m p_k; `secondMomentCount` rows are in them (fewer than `count` when sums
   * saved before they existed were merged: then no standard error). Absent above the bound.
   */
  secondMoments?: CbpeSecondMoments;
}

/** CBPE's second moments (see {@link CbpeSums.secondMoments}). */
export interface CbpeSecondMoments {
  count: number;
  readonly cross: Float64Array;
  readonly predictedCross: Float64Array;
}

/** Saved form of {@link CbpeSecondMoments}. */
export interface CbpeSecondMomentsJson {
  readonly count: number;
  readonly cross: number[];
  readonly predictedCross: number[];
}

/**
 * Most classes for which CBPE keeps its second moments by default (2 K² sums per window: 512
 * numbers at 16 classes); above it the estimated F1 has no interval.
 */
export const DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES = 16;
/**
 * Largest bound a caller may set: 64 classes are 8,192 sums per window (64 KB a bucket, where
 * a 3-class bucket is about 8 KB), and the standard error costs K² per query.
 */
export const CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT = 64;

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
  /**
   * Standard deviation of the realised macro F1 around the estimate if the probabilities are
   * calibrated (each row's true class drawn from its probabilities): the delta method on the
   * per-class true-positive and true counts, whose per-row covariances the second moments give.
   * NaN without second moments (more classes than the sums' bound, or
   * sums saved before they were kept) or with no rows.
   */
  readonly f1MacroStandardError: number;
}

/**
 * Empty sums for `classCount` classes; the second moments (macro F1's interval) are kept when
 * `classCount` <= `maxIntervalClasses` (default {@link DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES}).
 * @throws InvalidArgumentError for a bound outside [0, {@link CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT}].
 */
export function cbpeSums(
  classCount: number,
  maxIntervalClasses: number = DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES,
): CbpeSums {
  checkCbpeF1IntervalMaxClasses(maxIntervalClasses);
  return {
    count: 0,
    predictedCount: new Float64Array(classCount),
    predictedProbabilitySum: new Float64Array(classCount),
    probabilitySum: new Float64Array(classCount),
    predictedSquareSum: 0,
    ...(classCount <= maxIntervalClasses && {
      secondMoments: {
        count: 0,
        cross: new Float64Array(classCount * classCount),
        predictedCross: new Float64Array(classCount * classCount),
      },
    }),
  };
}

/**
 * @throws InvalidArgumentError unless `max` is an integer in [0, {@link CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT}].
 */
export function checkCbpeF1IntervalMaxClasses(max: number): void {
  if (!(Number.isInteger(max) && max >= 0 && max <= CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT)) {
    throw new InvalidArgumentError(
      `cbpeF1IntervalMaxClasses: expected an integer in [0, ${CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT}], got ${max}`,
    );
  }
}

/**
 * The bound to restore saved sums of `classCount` classes with: saved second moments are kept
 * whatever the bound they were saved under (up to the limit); without them, the default.
 */
export function savedCbpeF1IntervalMaxClasses(classCount: number, savedSecondMoments: unknown): number {
  return savedSecondMoments !== undefined && classCount <= CBPE_F1_INTERVAL_MAX_CLASSES_LIMIT
    ? Math.max(classCount, DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES)
    : DEFAULT_CBPE_F1_INTERVAL_MAX_CLASSES;
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
  const moments = sums.secondMoments;
  if (moments === undefined) return;
  moments.count += 1;
  for (let a = 0; a < k; a++) {
    const pa = probabilities[offset + a]!;
    for (let b = 0; b < k; b++) moments.cross[a * k + b]! += pa * probabilities[offset + b]!;
    moments.predictedCross[predictedClass * k + a]! += p * pa;
  }
}

/** The second moments' saved form (absent when the sums keep none). */
export function cbpeSecondMomentsToJSON(sums: CbpeSums): CbpeSecondMomentsJson | undefined {
  const m = sums.secondMoments;
  return m === undefined
    ? undefined
    : { count: m.count, cross: Array.from(m.cross), predictedCross: Array.from(m.predictedCross) };
}

/**
 * Adds saved second moments into `sums` (`json` undefined: saved before they existed, so
 * nothing is added and the count falls behind `count`).
 * @throws InvalidArgumentError naming `field` for a wrong length, a non-finite sum or a bad count.
 */
export function mergeCbpeSecondMomentsJSON(sums: CbpeSums, json: unknown, field: string): void {
  const m = sums.secondMoments;
  if (json === undefined || m === undefined) return;
  const j = json as Partial<CbpeSecondMomentsJson>;
  const size = m.cross.length;
  if (!(Number.isInteger(j.count) && (j.count as number) >= 0)) {
    throw new InvalidArgumentError(
      `${field}.count: expected an integer >= 0, got ${JSON.stringify(j.count)}`,
    );
  }
  for (const name of ['cross', 'predictedCross'] as const) {
    const values = j[name];
    if (!(Array.isArray(values) && values.length === size && values.every(Number.isFinite))) {
      throw new InvalidArgumentError(`${field}.${name}: expected ${size} finite numbers`);
    }
  }
  m.count += j.count as number;
  for (let i = 0; i < size; i++) {
    m.cross[i]! += j.cross![i]!;
    m.predictedCross[i]! += j.predictedCross![i]!;
  }
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
  const m = sums.secondMoments;
  const o = other.secondMoments;
  if (m !== undefined && o !== undefined) {
    m.count += o.count;
    for (let i = 0; i < m.cross.length; i++) {
      m.cross[i]! += o.cross[i]!;
      m.predictedCross[i]! += o.predictedCross[i]!;
    }
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
    f1MacroStandardError: f1MacroStandardError(sums),
  };
}

/**
 * Macro F1 = (1/K) sum_k 2 TP_k / (n_k + T_k), n_k the rows predicted k (fixed), TP_k and T_k
 * the rows of true class k among them and overall (random: row i is of class k with probability
 * p_ik). Linearised at the expected counts, row i (predicted m) adds h_i(Y_i) with
 * h_i(k) = β_k + α_m [k = m], α_k = 2 / (n_k + T_k), β_k = -2 TP_k / (n_k + T_k)²; rows are
 * independent, so Var = (1/K²) sum_i (sum_k p_ik h_i(k)² - (sum_k p_ik h_i(k))²), which the sums
 * and second moments give exactly:
 * sum_k β_k² T_k + sum_m (α_m² + 2 α_m β_m) TP_m - βᵀ S β - 2 sum_m α_m (C β)_m - sum_m α_m² C_mm.
 */
function f1MacroStandardError(sums: CbpeSums): number {
  const m = sums.secondMoments;
  const k = sums.predictedCount.length;
  if (m === undefined || m.count !== sums.count || sums.count === 0 || k === 0) return Number.NaN;
  const alpha = new Float64Array(k);
  const beta = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const denominator = sums.predictedCount[c]! + sums.probabilitySum[c]!;
    if (denominator === 0) continue;
    alpha[c] = 2 / denominator;
    beta[c] = (-2 * sums.predictedProbabilitySum[c]!) / (denominator * denominator);
  }
  let variance = 0;
  for (let c = 0; c < k; c++) {
    variance += beta[c]! * beta[c]! * sums.probabilitySum[c]!;
    variance += (alpha[c]! * alpha[c]! + 2 * alpha[c]! * beta[c]!) * sums.predictedProbabilitySum[c]!;
    let sBeta = 0;
    let cBeta = 0;
    for (let d = 0; d < k; d++) {
      sBeta += m.cross[c * k + d]! * beta[d]!;
      cBeta += m.predictedCross[c * k + d]! * beta[d]!;
    }
    variance -=
      beta[c]! * sBeta + 2 * alpha[c]! * cBeta + alpha[c]! * alpha[c]! * m.predictedCross[c * k + c]!;
  }
  return Math.sqrt(Math.max(variance, 0)) / k;
}
