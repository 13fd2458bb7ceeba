/**
 * ROC AUC: exact from scores (scikit-learn's `roc_auc_score`) and from per-bin counts (the
 * windowed accumulator's bounded form).
 */

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

/**
 * P(score of a positive > score of a negative) + P(tie) / 2, which is the trapezoidal area
 * under the ROC curve (scikit-learn's `roc_auc_score`). NaN when either class is empty.
 * @param positive per row, 1 (true) when the row is a positive.
 */
export function binaryRocAuc(scores: ArrayLike<number>, positive: ArrayLike<number | boolean>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let positives = 0;
  let area = 0;
  let t = 0;
  while (t < n) {
    // One group of equal scores: its negatives rank below every positive seen so far and tie with its own.
    const score = scores[order[t]!]!;
    let groupPositives = 0;
    let groupNegatives = 0;
    while (t < n && scores[order[t]!]! === score) {
      if (positive[order[t]!]) groupPositives += 1;
      else groupNegatives += 1;
      t += 1;
    }
    area += groupNegatives * (positives + groupPositives / 2);
    positives += groupPositives;
  }
  const negatives = n - positives;
  return positives === 0 || negatives === 0 ? Number.NaN : area / (positives * negatives);
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
  const n = trueClass.length;
  const perClass = new Float64Array(classCount);
  const support = new Float64Array(classCount);
  const column = new Float64Array(n);
  const positive = new Uint8Array(n);
  for (let i = 0; i < n; i++) support[trueClass[i]!]! += 1;
  for (let c = 0; c < classCount; c++) {
    for (let i = 0; i < n; i++) {
      column[i] = probabilities[i * classCount + c]!;
      positive[i] = trueClass[i] === c ? 1 : 0;
    }
    perClass[c] = binaryRocAuc(column, positive);
  }
  return averageRocAuc(perClass, support, 0);
}
