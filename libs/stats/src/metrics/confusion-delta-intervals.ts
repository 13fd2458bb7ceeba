/**
 * Delta-method intervals of the scores read off a confusion matrix (per-class F1; macro and
 * weighted precision, recall and F1).
 *
 * Model: the window's N pairs are N independent draws from one joint distribution of (true,
 * predicted) classes, so the K² cell counts are multinomial with shares pi. Each score is a
 * smooth function g of the counts, homogeneous of degree 0 (a ratio: doubling every count leaves
 * it unchanged), and the delta method gives its variance from the multinomial covariance
 * (diag(pi) - pi piᵀ) / N: with g_ij = dg/dn_ij at the observed counts,
 *
 *   Var(g) ≈ sum_ij n_ij g_ij² - (sum_ij n_ij g_ij)² / N
 *
 * (the second sum is 0 by Euler's theorem for degree-0 functions; it is kept for rounding).
 * The interval is g ± z SE, clipped to [0, 1]. Assumptions and limits: pairs independent (a
 * window of correlated requests is narrower than it should be); the gradient is taken where
 * scikit-learn's zero_division=0 rule does not apply (a class never predicted has precision
 * 0 and contributes no gradient); a Wald-type interval, so at a score of exactly 0 or 1 (no
 * off-diagonal count touching the class) the interval is a single point, as the percentile
 * bootstrap's is. The seeded coverage simulation in the tests reaches the nominal level from a
 * few hundred pairs.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { type ConfidenceInterval, checkConfidence, DEFAULT_CONFIDENCE } from './confidence-intervals.js';
import { normalQuantile } from './distribution-quantiles.js';

/** Standard errors of the confusion-matrix scores (delta method). */
export interface ConfusionScoreStandardErrors {
  /** Per class, in the matrix's order. */
  readonly f1: Float64Array;
  readonly macro: { readonly precision: number; readonly recall: number; readonly f1: number };
  readonly weighted: { readonly precision: number; readonly recall: number; readonly f1: number };
}

/** Delta-method intervals of the confusion-matrix scores without one of their own. */
export interface ConfusionDeltaIntervals {
  /** Per class F1, in the matrix's order. */
  readonly f1: readonly ConfidenceInterval[];
  readonly macro: {
    readonly precision: ConfidenceInterval;
    readonly recall: ConfidenceInterval;
    readonly f1: ConfidenceInterval;
  };
  readonly weighted: {
    readonly precision: ConfidenceInterval;
    readonly recall: ConfidenceInterval;
    readonly f1: ConfidenceInterval;
  };
}

type Score = 'precision' | 'recall' | 'f1';

/**
 * Partial derivatives of one class's score with respect to its cells: the diagonal cell (c, c),
 * a cell of its row off the diagonal (true c, predicted other: moves its support) and a cell of
 * its column off the diagonal (predicted c, true other: moves its predicted count).
 */
interface ClassGradient {
  readonly value: Float64Array;
  readonly diagonal: Float64Array;
  readonly row: Float64Array;
  readonly column: Float64Array;
}

/**
 * Delta-method standard errors of per-class F1 and of macro and weighted precision, recall and
 * F1, from a row-major K x K confusion matrix (row = true class, column = predicted), the same
 * scores as {@link scoresFromConfusion} (scikit-learn's zero_division=0).
 * @throws InvalidArgumentError when the matrix is not K x K of finite counts >= 0.
 */
export function confusionScoreStandardErrors(
  confusion: ArrayLike<number>,
  classCount: number,
): ConfusionScoreStandardErrors {
  checkConfusion(confusion, classCount);
  const k = classCount;
  const tp = new Float64Array(k);
  const support = new Float64Array(k);
  const predicted = new Float64Array(k);
  let total = 0;
  for (let t = 0; t < k; t++) {
    for (let p = 0; p < k; p++) {
      const n = confusion[t * k + p]!;
      support[t]! += n;
      predicted[p]! += n;
      total += n;
    }
    tp[t] = confusion[t * k + t]!;
  }
  const gradients = {
    precision: classGradient(k, (c) => ratioGradient(tp[c]!, predicted[c]!, 'column')),
    recall: classGradient(k, (c) => ratioGradient(tp[c]!, support[c]!, 'row')),
    f1: classGradient(k, (c) => f1Gradient(tp[c]!, predicted[c]!, support[c]!)),
  };
  const f1 = new Float64Array(k);
  const g = gradients.f1;
  for (let c = 0; c < k; c++) {
    // Only class c's row and column move its F1: O(K) cells, not K² (K up to 1,000).
    let sum = 0;
    let sumSquares = 0;
    const add = (n: number, gradient: number) => {
      sum += n * gradient;
      sumSquares += n * gradient * gradient;
    };
    add(confusion[c * k + c]!, g.diagonal[c]!);
    for (let other = 0; other < k; other++) {
      if (other === c) continue;
      add(confusion[c * k + other]!, g.row[c]!);
      add(confusion[other * k + c]!, g.column[c]!);
    }
    f1[c] = total === 0 ? Number.NaN : Math.sqrt(Math.max(sumSquares - (sum * sum) / total, 0));
  }
  const averaged = (score: Score, average: 'macro' | 'weighted') => {
    const g = gradients[score];
    const weight = new Float64Array(k);
    for (let c = 0; c < k; c++)
      weight[c] = average === 'macro' ? 1 / k : total === 0 ? 0 : support[c]! / total;
    let mean = 0;
    for (let c = 0; c < k; c++) mean += weight[c]! * g.value[c]!;
    // The weights S_t / N move too: a pair in row t adds to class t's weight and dilutes every weight.
    const weightsMove = average === 'weighted' && total > 0;
    if (total === 0) return Number.NaN;
    let sum = 0;
    let sumSquares = 0;
    for (let t = 0; t < k; t++) {
      const rowTerm = weight[t]! * g.row[t]!;
      const shift = weightsMove ? (g.value[t]! - mean) / total : 0;
      for (let p = 0; p < k; p++) {
        const n = confusion[t * k + p]!;
        if (n === 0) continue;
        const gradient =
          (t === p ? weight[t]! * g.diagonal[t]! : rowTerm + weight[p]! * g.column[p]!) + shift;
        sum += n * gradient;
        sumSquares += n * gradient * gradient;
      }
    }
    return Math.sqrt(Math.max(sumSquares - (sum * sum) / total, 0));
  };
  return {
    f1,
    macro: {
      precision: averaged('precision', 'macro'),
      recall: averaged('recall', 'macro'),
      f1: averaged('f1', 'macro'),
    },
    weighted: {
      precision: averaged('precision', 'weighted'),
      recall: averaged('recall', 'weighted'),
      f1: averaged('f1', 'weighted'),
    },
  };
}

/**
 * Delta-method intervals (method `delta`) of per-class F1 and of macro and weighted precision,
 * recall and F1: score ± z SE clipped to [0, 1], z the (1 + confidence) / 2 normal quantile.
 * An empty matrix gives [0, 1].
 * @throws InvalidArgumentError on a bad matrix or level.
 */
export function confusionDeltaIntervals(
  confusion: ArrayLike<number>,
  classCount: number,
  values: {
    readonly f1: ArrayLike<number>;
    readonly macro: { readonly precision: number; readonly recall: number; readonly f1: number };
    readonly weighted: { readonly precision: number; readonly recall: number; readonly f1: number };
  },
  confidence: number = DEFAULT_CONFIDENCE,
): ConfusionDeltaIntervals {
  checkConfidence(confidence);
  const errors = confusionScoreStandardErrors(confusion, classCount);
  let total = 0;
  for (let i = 0; i < classCount * classCount; i++) total += confusion[i]!;
  const z = normalQuantile(0.5 + confidence / 2);
  const interval = (value: number, se: number): ConfidenceInterval =>
    total === 0
      ? { low: 0, high: 1, confidence, method: 'delta' }
      : {
          low: Math.max(value - z * se, 0),
          high: Math.min(value + z * se, 1),
          confidence,
          method: 'delta',
        };
  const averaged = (average: 'macro' | 'weighted') => ({
    precision: interval(values[average].precision, errors[average].precision),
    recall: interval(values[average].recall, errors[average].recall),
    f1: interval(values[average].f1, errors[average].f1),
  });
  return {
    f1: Array.from(errors.f1, (se, c) => interval(values.f1[c]!, se)),
    macro: averaged('macro'),
    weighted: averaged('weighted'),
  };
}

function classGradient(
  k: number,
  of: (c: number) => { value: number; diagonal: number; row: number; column: number },
): ClassGradient {
  const out = {
    value: new Float64Array(k),
    diagonal: new Float64Array(k),
    row: new Float64Array(k),
    column: new Float64Array(k),
  };
  for (let c = 0; c < k; c++) {
    const g = of(c);
    out.value[c] = g.value;
    out.diagonal[c] = g.diagonal;
    out.row[c] = g.row;
    out.column[c] = g.column;
  }
  return out;
}

/** tp / denominator, where the off-diagonal cells of `side` (row: support, column: predicted) add to the denominator. */
function ratioGradient(tp: number, denominator: number, side: 'row' | 'column') {
  if (denominator === 0) return { value: 0, diagonal: 0, row: 0, column: 0 };
  const off = -tp / (denominator * denominator);
  return {
    value: tp / denominator,
    diagonal: (denominator - tp) / (denominator * denominator),
    row: side === 'row' ? off : 0,
    column: side === 'column' ? off : 0,
  };
}

/** F1 = 2 tp / (predicted + support): the diagonal cell counts in both, an off-diagonal cell of row or column in one. */
function f1Gradient(tp: number, predicted: number, support: number) {
  const d = predicted + support;
  if (d === 0) return { value: 0, diagonal: 0, row: 0, column: 0 };
  const off = (-2 * tp) / (d * d);
  return { value: (2 * tp) / d, diagonal: (2 * (d - 2 * tp)) / (d * d), row: off, column: off };
}

function checkConfusion(confusion: ArrayLike<number>, k: number): void {
  if (!(Number.isInteger(k) && k >= 1)) {
    throw new InvalidArgumentError(`classCount: expected an integer >= 1, got ${k}`);
  }
  if (confusion.length !== k * k) {
    throw new InvalidArgumentError(
      `confusion: expected ${k * k} counts (${k} x ${k}), got ${confusion.length}`,
    );
  }
  for (let i = 0; i < confusion.length; i++) {
    const n = confusion[i]!;
    if (!(Number.isFinite(n) && n >= 0)) {
      throw new InvalidArgumentError(`confusion[${i}]: expected a finite count >= 0, got ${n}`);
    }
  }
}
