/**
 * The two-sample KS test of an exact reference against a window summarised by a
 * {@link QuantileSketch} (a window too large to hold, or merged from several replicas), with
 * the error of its statistic stated.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { asymptoticKsPValue } from '../univariate/ks-2samp.js';
import { assertSortedSample } from '../univariate/sample-validation.js';
import type { Alternative } from '../univariate/two-sample-result.js';
import type { QuantileSketch } from './quantile-sketch.js';

/** A KS result on a summarised window: the estimate and how far the exact statistic can be from it. */
export interface KsAgainstSketchResult {
  /** The statistic of the reference's ECDF against the sketch's CDF (see {@link ks2SampSketch}). */
  readonly statistic: number;
  /** Asymptotic p-value of `statistic` with the window's full count as its sample size. */
  readonly pValue: number;
  /** Always `asymp`: the exact distribution needs the window's values. */
  readonly method: 'asymp';
  /** The exact statistic (on the window's raw values) lies within statistic +- this. */
  readonly statisticErrorBound: number;
  /** The p-values at the two ends of that interval: [at statistic + bound, at statistic - bound]. */
  readonly pValueRange: readonly [number, number];
}

const ALTERNATIVES: readonly Alternative[] = ['two-sided', 'less', 'greater'];

/**
 * KS of `referenceSorted` (data1, exact) against the window summarised by `window` (data2), as
 * `scipy.stats.ks_2samp(reference, window, alternative, method='asymp')` would answer on the
 * window's values, up to the stated error.
 *
 * The window's CDF is estimated by spreading each sketch bucket's count evenly over the
 * bucket's value range ({@link QuantileSketch.buckets}). Between buckets this equals the
 * window's exact CDF; inside a bucket both lie between the counts below and above the bucket,
 * so at every x they differ by at most the bucket's share of the window. The supremum of
 * |F_ref - G| therefore moves by at most the largest bucket share: that is
 * `statisticErrorBound` (a bucket holding one repeated value, or the exact min or max, has no
 * width and adds no error). With relative accuracy a, a bucket spans a factor (1 + a)/(1 - a),
 * so smooth data gives a bound near 2a x (density x |x|) at its peak, about 0.0005 for a
 * standard normal at a = 0.001.
 *
 * @throws InvalidArgumentError on an empty side, NaN in the reference or an unknown alternative.
 */
export function ks2SampSketch(
  referenceSorted: Float64Array,
  window: QuantileSketch,
  options: { readonly alternative?: Alternative } = {},
): KsAgainstSketchResult {
  const alternative = options.alternative ?? 'two-sided';
  if (!ALTERNATIVES.includes(alternative)) {
    throw new InvalidArgumentError(
      `alternative: must be one of ${ALTERNATIVES.join(', ')}, got "${alternative}"`,
      { field: 'alternative' },
    );
  }
  assertSortedSample('reference', referenceSorted, 1);
  if (window.count === 0) throw new InvalidArgumentError('window: the sketch is empty');
  const buckets = window.buckets();
  const b = buckets.length;
  const lowers = new Float64Array(b);
  const uppers = new Float64Array(b);
  const counts = new Float64Array(b);
  const before = new Float64Array(b + 1);
  let largest = 0;
  buckets.forEach((bucket, i) => {
    lowers[i] = bucket.lower;
    uppers[i] = bucket.upper;
    counts[i] = bucket.count;
    before[i + 1] = before[i]! + bucket.count;
    if (bucket.upper > bucket.lower && bucket.count > largest) largest = bucket.count;
  });
  const n1 = referenceSorted.length;
  const n2 = window.count;

  // The window's estimated count <= x (right) and < x (left), buckets spread evenly.
  const windowBelow = (x: number, left: boolean): number => {
    let lo = 0;
    let hi = b;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (left ? uppers[mid]! < x : uppers[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    let count = before[lo]!;
    if (lo < b && (left ? lowers[lo]! < x : lowers[lo]! <= x) && uppers[lo]! > lowers[lo]!) {
      count += (counts[lo]! * (x - lowers[lo]!)) / (uppers[lo]! - lowers[lo]!);
    }
    return count;
  };
  const referenceBelow = (x: number, left: boolean): number => {
    let lo = 0;
    let hi = n1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (left ? referenceSorted[mid]! < x : referenceSorted[mid]! <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  // F_ref is a step function and the estimate is piecewise linear, so the supremum of their
  // difference is reached at a reference value or a bucket end, from the left or the right.
  let maxDiff = 0;
  let minDiff = 0;
  const visit = (x: number): void => {
    for (const left of [false, true]) {
      const diff = referenceBelow(x, left) / n1 - windowBelow(x, left) / n2;
      if (diff > maxDiff) maxDiff = diff;
      if (diff < minDiff) minDiff = diff;
    }
  };
  for (let i = 0; i < n1; i++)
    if (i === 0 || referenceSorted[i] !== referenceSorted[i - 1]) visit(referenceSorted[i]!);
  for (let i = 0; i < b; i++) {
    visit(lowers[i]!);
    visit(uppers[i]!);
  }
  const greater = Math.min(maxDiff, 1);
  const less = Math.min(-minDiff, 1);
  const statistic =
    alternative === 'greater' ? greater : alternative === 'less' ? less : Math.max(greater, less);
  const bound = largest / n2;
  const pAt = (d: number): number => Math.min(Math.max(asymptoticKsPValue(n1, n2, d, alternative), 0), 1);
  return {
    statistic,
    pValue: pAt(statistic),
    method: 'asymp',
    statisticErrorBound: bound,
    pValueRange: [pAt(Math.min(statistic + bound, 1)), pAt(Math.max(statistic - bound, 0))],
  };
}
