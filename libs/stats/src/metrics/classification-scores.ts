import type { ClassLabel } from './class-labels.js';

/** Precision, recall and F1 under one averaging rule. */
export interface AveragedScores {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * The label-based classification scores of a window, all read off its confusion matrix.
 * Division by zero gives 0 (scikit-learn's `zero_division=0`): a class never predicted has
 * precision 0, a class never true recall 0, and F1 is 0 when precision + recall is 0.
 */
export interface ClassificationScores {
  /** Class order of every per-class array and of the confusion matrix. */
  readonly classes: readonly ClassLabel[];
  /** Number of pairs. */
  readonly count: number;
  /** Share of pairs with y_pred = y_true (NaN for an empty window). */
  readonly accuracy: number;
  /** Per class (one-vs-rest): tp / (tp + fp). */
  readonly precision: Float64Array;
  /** Per class: tp / (tp + fn). */
  readonly recall: Float64Array;
  /** Per class: 2 P R / (P + R). */
  readonly f1: Float64Array;
  /** Per class: number of pairs whose true label is the class. */
  readonly support: Float64Array;
  /** Unweighted mean over every class of `classes` (scikit-learn `average='macro'` with `labels=classes`). */
  readonly macro: AveragedScores;
  /** From the summed tp, fp, fn over classes (`average='micro'`); equals accuracy here. */
  readonly micro: AveragedScores;
  /** Mean weighted by support (`average='weighted'`); 0 when no class has support. */
  readonly weighted: AveragedScores;
  /**
   * Row-major K x K counts: row = true class, column = predicted class, in `classes` order
   * (scikit-learn's `confusion_matrix(y_true, y_pred, labels=classes)`).
   */
  readonly confusion: Float64Array;
}

/** Scores of a K x K confusion matrix (row true, column predicted) in `classes` order. */
export function scoresFromConfusion(
  classes: readonly ClassLabel[],
  confusion: Float64Array,
): ClassificationScores {
  const k = classes.length;
  const support = new Float64Array(k);
  const predicted = new Float64Array(k);
  const tp = new Float64Array(k);
  let count = 0;
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      const c = confusion[t * k + p]!;
      support[t]! += c;
      predicted[p]! += c;
      count += c;
    }
    tp[t] = confusion[t * k + t]!;
  }
  const precision = new Float64Array(k);
  const recall = new Float64Array(k);
  const f1 = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    precision[c] = ratio(tp[c]!, predicted[c]!);
    recall[c] = ratio(tp[c]!, support[c]!);
    f1[c] = fScore(precision[c]!, recall[c]!);
  }
  const tpSum = tp.reduce((a, b) => a + b, 0);
  const microPrecision = ratio(tpSum, count);
  const microRecall = ratio(tpSum, count);
  return {
    classes: [...classes],
    count,
    accuracy: count === 0 ? Number.NaN : tpSum / count,
    precision,
    recall,
    f1,
    support,
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    micro: { precision: microPrecision, recall: microRecall, f1: fScore(microPrecision, microRecall) },
    weighted: {
      precision: weightedMean(precision, support),
      recall: weightedMean(recall, support),
      f1: weightedMean(f1, support),
    },
    confusion: Float64Array.from(confusion),
  };
}

/** scikit-learn's F-beta at beta = 1: 2 P R / (P + R), 0 when P + R = 0. */
export function fScore(precision: number, recall: number): number {
  const denominator = precision + recall;
  return denominator === 0 ? 0 : (2 * precision * recall) / denominator;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function mean(values: Float64Array): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

function weightedMean(values: Float64Array, weights: Float64Array): number {
  let total = 0;
  let sum = 0;
  for (let c = 0; c < values.length; c++) {
    total += weights[c]!;
    sum += values[c]! * weights[c]!;
  }
  return total === 0 ? 0 : sum / total;
}
