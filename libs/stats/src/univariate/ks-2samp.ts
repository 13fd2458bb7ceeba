/**
 * The two-sample Kolmogorov-Smirnov test, equal to `scipy.stats.ks_2samp` (scipy 1.17): the
 * same statistic, the same choice between the exact and the asymptotic p-value, the same
 * fallbacks, the same p-values (to about 1e-12 relative; the fidelity tests hold 1e-6).
 */
import { InvalidArgumentError } from '@sightline/errors';
import { kolmogorovTwoSidedSf } from './kolmogorov-two-sided.js';
import { attemptExactKs } from './ks-exact.js';
import { gcd, roundHalfEven } from './numeric-primitives.js';
import { assertSample, assertSortedSample, sortedCopy } from './sample-validation.js';
import type { Alternative, TwoSampleTestResult } from './two-sample-result.js';

/** How the KS p-value is computed; `auto` as scipy decides it. */
export type KsMethod = 'auto' | 'exact' | 'asymp';

/**
 * scipy's MAX_AUTO_N: `auto` computes the exact p-value when both samples have at most this
 * many observations, else the asymptotic one.
 */
export const KS_MAX_AUTO_EXACT_N = 10_000;

/**
 * scipy's guard on an explicit `exact`: when n1/g * n2/g reaches int32's maximum the lattice is
 * too large and the asymptotic p-value is used instead.
 */
export const KS_MAX_EXACT_LATTICE = 2 ** 31 - 1;

/** Options of {@link ks2Samp} and {@link ks2SampSorted}. */
export interface Ks2SampOptions {
  /** The alternative hypothesis; default `two-sided`. */
  readonly alternative?: Alternative;
  /** `auto` (default), `exact` or `asymp`, as scipy's `method`. */
  readonly method?: KsMethod;
  /**
   * Override of {@link KS_MAX_AUTO_EXACT_N}, the largest sample for which `auto` is exact
   * (keep the default to stay equal to scipy).
   */
  readonly maxAutoExactN?: number;
}

/** A KS result: the statistic, the p-value and the method that produced the p-value. */
export interface Ks2SampResult extends TwoSampleTestResult {
  /** `exact` or `asymp`: what was used after scipy's fallbacks. */
  readonly method: 'exact' | 'asymp';
}

const ALTERNATIVES: readonly Alternative[] = ['two-sided', 'less', 'greater'];
const METHODS: readonly KsMethod[] = ['auto', 'exact', 'asymp'];

/**
 * The two-sample KS test on unsorted samples (copied and sorted here), as
 * `scipy.stats.ks_2samp(x, y, alternative, method)`.
 *
 * @throws InvalidArgumentError on an empty sample, NaN, or an unknown alternative or method.
 */
export function ks2Samp(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: Ks2SampOptions = {},
): Ks2SampResult {
  assertSample('x', x, 1);
  assertSample('y', y, 1);
  return ksFromSorted(sortedCopy(x), sortedCopy(y), options);
}

/**
 * The same test on samples already sorted ascending (a detector sorts its reference once at
 * fit). Sortedness is the caller's promise and is not checked; NaN is refused.
 *
 * @throws InvalidArgumentError on an empty sample, NaN, or an unknown alternative or method.
 */
export function ks2SampSorted(
  xSorted: Float64Array,
  ySorted: Float64Array,
  options: Ks2SampOptions = {},
): Ks2SampResult {
  assertSortedSample('x', xSorted, 1);
  assertSortedSample('y', ySorted, 1);
  return ksFromSorted(xSorted, ySorted, options);
}

function ksFromSorted(data1: Float64Array, data2: Float64Array, options: Ks2SampOptions): Ks2SampResult {
  const alternative = options.alternative ?? 'two-sided';
  const requested = options.method ?? 'auto';
  if (!ALTERNATIVES.includes(alternative)) {
    throw new InvalidArgumentError(
      `alternative: must be one of ${ALTERNATIVES.join(', ')}, got "${alternative}"`,
      {
        field: 'alternative',
      },
    );
  }
  if (!METHODS.includes(requested)) {
    throw new InvalidArgumentError(`method: must be one of ${METHODS.join(', ')}, got "${requested}"`, {
      field: 'method',
    });
  }
  const n1 = data1.length;
  const n2 = data2.length;
  // Merge walk over the pooled sorted values: at each distinct value, the ECDF difference
  // cdf1 - cdf2 with both counts taken "<= value" (scipy's searchsorted side='right').
  let i = 0;
  let j = 0;
  let maxDiff = Number.NEGATIVE_INFINITY;
  let minDiff = Number.POSITIVE_INFINITY;
  while (i < n1 || j < n2) {
    const v = j >= n2 || (i < n1 && data1[i]! <= data2[j]!) ? data1[i]! : data2[j]!;
    while (i < n1 && data1[i]! <= v) i++;
    while (j < n2 && data2[j]! <= v) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxDiff) maxDiff = diff;
    if (diff < minDiff) minDiff = diff;
  }
  const minS = Math.min(Math.max(-minDiff, 0), 1);
  const maxS = maxDiff;
  let d = alternative === 'less' || (alternative === 'two-sided' && minS > maxS) ? minS : maxS;

  const g = gcd(n1, n2);
  const n1g = n1 / g;
  const n2g = n2 / g;
  let mode: 'exact' | 'asymp';
  if (requested === 'auto') {
    mode = Math.max(n1, n2) <= (options.maxAutoExactN ?? KS_MAX_AUTO_EXACT_N) ? 'exact' : 'asymp';
  } else if (requested === 'exact') {
    mode = n1g >= KS_MAX_EXACT_LATTICE / n2g ? 'asymp' : 'exact';
  } else {
    mode = 'asymp';
  }
  let prob = Number.NEGATIVE_INFINITY;
  if (mode === 'exact') {
    const attempt = attemptExactKs(n1, n2, g, d, alternative);
    d = attempt.d;
    prob = attempt.pValue;
    if (!attempt.success) mode = 'asymp';
  }
  if (mode === 'asymp') {
    prob = asymptoticKsPValue(n1, n2, d, alternative);
  }
  return { statistic: d, pValue: Number.isNaN(prob) ? prob : Math.min(Math.max(prob, 0), 1), method: mode };
}

/**
 * Smirnov's limiting distribution as scipy applies it (Hodges' eq. 5.3 for one-sided): the
 * asymptotic p-value of statistic `d` between samples of `n1` and `n2` observations (also
 * what a KS test against a summarised window uses).
 */
export function asymptoticKsPValue(n1: number, n2: number, d: number, alternative: Alternative): number {
  // The one-sided formula is not symmetric in n1, n2: m must be the larger.
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  if (alternative === 'two-sided') {
    return kolmogorovTwoSidedSf(roundHalfEven(en), d);
  }
  const z = Math.sqrt(en) * d;
  const expt = -2 * z ** 2 - (2 * z * (m + 2 * n)) / Math.sqrt(m * n * (m + n)) / 3.0;
  return Math.exp(expt);
}
