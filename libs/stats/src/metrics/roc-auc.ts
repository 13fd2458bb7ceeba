/**
 * ROC AUC: exact from scores (scikit-learn's `roc_auc_score`) and from per-bin counts (the
 * windowed accumulator's bounded form).
 */
import { binnedRocAucStandardError } from './roc-auc-interval.js';

/** ROC AUC of every class against the rest, and their averages. */
export interface RocAucResult {
  /** Per class, the class's probability column scoring "true label is the class"; NaN when the window has no positive or no negative for it. */
  readonly perClass: Float64Array;
  /** Mean over the classes with a defined AUC (scikit-learn `multi_class='ovr', average='macro'`). */
  readonly macro: number;
  /** Mean weighted by the classes' support (`average='weighted'`). */
  readonly weighted: number;
  /** With two classes, the AUC of the second class's scores (scikit-learn's binary case, positive = the greater label). */
  readonly binary?: number;
  /**
   * Largest possible difference between these figures and the exact ones: 0 from scores,
   * half the share of positive/negative pairs in the same bin from binned counts.
   */
  readonly maxError: number;
}

/** Positives and negatives per distinct score, ascending: the exact scores as bins of their own. */
export interface ScoreTieGroups {
  readonly positives: Float64Array;
  readonly negatives: Float64Array;
}

/**
 * Groups rows by distinct score, ascending, counting positives and negatives in each. The
 * positives' and negatives' scores are sorted apart with typed-array sorts (numeric, no
 * comparator call per step) and merged in one pass: the rows never need sorting as a whole.
 * Scores must not be NaN (callers check probabilities first).
 */
export function scoreTieGroups(
  scores: ArrayLike<number>,
  positive: ArrayLike<number | boolean>,
): ScoreTieGroups {
  const n = scores.length;
  let positiveCount = 0;
  for (let i = 0; i < n; i++) if (positive[i]) positiveCount += 1;
  const positiveScores = new Float64Array(positiveCount);
  const negativeScores = new Float64Array(n - positiveCount);
  let p = 0;
  let q = 0;
  for (let i = 0; i < n; i++) {
    if (positive[i]) positiveScores[p++] = scores[i]!;
    else negativeScores[q++] = scores[i]!;
  }
  positiveScores.sort();
  negativeScores.sort();
  const positives = new Float64Array(n);
  const negatives = new Float64Array(n);
  let groups = 0;
  let i = 0;
  let j = 0;
  while (i < positiveScores.length || j < negativeScores.length) {
    const a = i < positiveScores.length ? positiveScores[i]! : Number.POSITIVE_INFINITY;
    const b = j < negativeScores.length ? negativeScores[j]! : Number.POSITIVE_INFINITY;
    const score = Math.min(a, b);
    let groupPositives = 0;
    let groupNegatives = 0;
    while (i < positiveScores.length && positiveScores[i] === score) {
      groupPositives += 1;
      i += 1;
    }
    while (j < negativeScores.length && negativeScores[j] === score) {
      groupNegatives += 1;
      j += 1;
    }
    positives[groups] = groupPositives;
    negatives[groups] = groupNegatives;
    groups += 1;
  }
  return { positives: positives.subarray(0, groups), negatives: negatives.subarray(0, groups) };
}

/**
 * P(score of a positive > score of a negative) + P(tie) / 2, which is the trapezoidal area
 * under the ROC curve (scikit-learn's `roc_auc_score`). NaN when either class is empty.
 * @param positive per row, 1 (true) when the row is a positive.
 */
export function binaryRocAuc(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): number {
  return tieGroupsRocAuc(scoreTieGroups(scores, positive));
}

/** The AUC of tie groups: each group's positives beat the negatives below and tie with their own (half). */
function tieGroupsRocAuc(groups: ScoreTieGroups): number {
  let negativesBelow = 0;
  let positives = 0;
  let area = 0;
  for (let g = 0; g < groups.positives.length; g++) {
    area += groups.positives[g]! * (negativesBelow + groups.negatives[g]! / 2);
    negativesBelow += groups.negatives[g]!;
    positives += groups.positives[g]!;
  }
  // Every term is a multiple of 1/2 below 2^53: the sum is exact, whatever the order.
  return positives === 0 || negativesBelow === 0 ? Number.NaN : area / (positives * negativesBelow);
}

/** AUC and its error bound from counts of positives and negatives per score bin, bins ascending. */
export function binnedRocAuc(
  positives: ArrayLike<number>,
  negatives: ArrayLike<number>,
): { readonly auc: number; readonly maxError: number } {
  let above = 0;
  let area = 0;
  let sameBin = 0;
  for (let b = positives.length - 1; b >= 0; b--) {
    area += negatives[b]! * (above + positives[b]! / 2);
    sameBin += negatives[b]! * positives[b]!;
    above += positives[b]!;
  }
  let below = 0;
  for (let b = 0; b < negatives.length; b++) below += negatives[b]!;
  const pairs = above * below;
  // A pair in one bin counts 1/2 here and 0, 1/2 or 1 exactly.
  return pairs === 0
    ? { auc: Number.NaN, maxError: 0 }
    : { auc: area / pairs, maxError: sameBin / pairs / 2 };
}

/**
 * Averages of per-class AUCs: macro over the defined ones, weighted by support.
 * @param support per class, the number of rows whose true label is the class.
 */
export function averageRocAuc(
  perClass: Float64Array,
  support: ArrayLike<number>,
  maxError: number,
): RocAucResult {
  let defined = 0;
  let sum = 0;
  let weightedSum = 0;
  let weight = 0;
  for (let c = 0; c < perClass.length; c++) {
    if (Number.isNaN(perClass[c]!)) continue;
    defined += 1;
    sum += perClass[c]!;
    weightedSum += perClass[c]! * support[c]!;
    weight += support[c]!;
  }
  return {
    perClass,
    macro: defined === 0 ? Number.NaN : sum / defined,
    weighted: weight === 0 ? Number.NaN : weightedSum / weight,
    ...(perClass.length === 2 ? { binary: perClass[1]! } : {}),
    maxError,
  };
}

/**
 * One-vs-rest ROC AUC from probabilities (row-major n x K, columns in class order) and the true
 * class index per row: exact, as scikit-learn's `roc_auc_score(y_true, p, multi_class='ovr')`.
 */
export function rocAucOneVsRest(
  trueClass: Int32Array,
  probabilities: Float64Array,
  classCount: number,
): RocAucResult {
  return rocAucOneVsRestWithErrors(trueClass, probabilities, classCount).auc;
}

/**
 * {@link rocAucOneVsRest} and, per class, DeLong's standard error of the exact AUC (the tie groups
 * as bins: placement values with midranks, DeLong et al. 1988; NaN below 2 positives or
 * negatives), and the support of each class (the weighted average's weights).
 */
export function rocAucOneVsRestWithErrors(
  trueClass: Int32Array,
  probabilities: Float64Array,
  classCount: number,
): { readonly auc: RocAucResult; readonly standardErrors: Float64Array; readonly support: Float64Array } {
  const n = trueClass.length;
  const perClass = new Float64Array(classCount);
  const standardErrors = new Float64Array(classCount);
  const support = new Float64Array(classCount);
  const column = new Float64Array(n);
  const positive = new Uint8Array(n);
  for (let i = 0; i < n; i++) support[trueClass[i]!]! += 1;
  for (let c = 0; c < classCount; c++) {
    for (let i = 0; i < n; i++) {
      column[i] = probabilities[i * classCount + c]!;
      positive[i] = trueClass[i] === c ? 1 : 0;
    }
    const groups = scoreTieGroups(column, positive);
    perClass[c] = tieGroupsRocAuc(groups);
    standardErrors[c] = binnedRocAucStandardError(groups.positives, groups.negatives);
  }
  return { auc: averageRocAuc(perClass, support, 0), standardErrors, support };
}
