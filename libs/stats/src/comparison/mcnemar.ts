/**
 * McNemar's test: do two classifiers judged on the same rows differ in accuracy? Only the
 * discordant rows (one right, the other wrong) carry evidence; under the null hypothesis each
 * discordant row is equally likely to favour either model.
 */
import betainc from '@stdlib/math-base-special-betainc';
import { chiSquaredSf } from '../univariate/chi2-contingency.js';
import { checkPairedCounts, type PairedCounts } from './paired-counts.js';

/** The three forms of the test. */
export type McNemarVariant = 'exact' | 'chi2' | 'chi2-corrected';

/** One form's statistic and two-sided p-value. */
export interface McNemarPart {
  readonly statistic: number;
  readonly pValue: number;
}

/** McNemar's test in its three forms. */
export interface McNemarResult {
  /** Discordant rows b + c. */
  readonly discordant: number;
  /** Exact binomial test: statistic min(b, c), p-value of scipy's `binomtest(b, b + c, 0.5)`. */
  readonly exact: McNemarPart;
  /** Chi-square without continuity correction: (b - c)² / (b + c), 1 degree of freedom. */
  readonly chi2: McNemarPart;
  /** Chi-square with Edwards' continuity correction: max(|b - c| - 1, 0)² / (b + c). */
  readonly chi2Corrected: McNemarPart;
}

/**
 * McNemar's test on b = baseline-only-correct and c = candidate-only-correct rows (two-sided).
 *
 * - exact: 2 P(X <= min(b, c)), X ~ Binomial(b + c, 1/2), capped at 1; with p = 1/2 the
 *   binomial is symmetric, so this is scipy's `binomtest(b, b + c, 0.5).pvalue` and statsmodels'
 *   `mcnemar(table, exact=True)`. The tail is the regularised incomplete beta I_{1/2}(n - k, k + 1)
 *   (boost's binomial CDF, which scipy calls), so a 100,000-row comparison costs no more than a small one.
 * - chi2 / chi2Corrected: `scipy.stats.chi2.sf(statistic, 1)`. The corrected statistic floors
 *   |b - c| - 1 at 0; statsmodels' `mcnemar(exact=False)` does not, and so reports 1/(b + c)
 *   instead of 0 when b = c (a p-value just under 1 instead of 1).
 *
 * With no discordant rows there is no evidence either way: every p-value is 1 and the statistics 0.
 * @throws InvalidArgumentError for a negative, fractional or non-finite count.
 */
export function mcnemarTest(counts: PairedCounts): McNemarResult {
  checkPairedCounts(counts);
  const b = counts.baselineOnlyCorrect;
  const c = counts.candidateOnlyCorrect;
  const n = b + c;
  if (n === 0) {
    const none = { statistic: 0, pValue: 1 };
    return { discordant: 0, exact: none, chi2: none, chi2Corrected: none };
  }
  const k = Math.min(b, c);
  const uncorrected = ((b - c) * (b - c)) / n;
  const corrected = Math.max(Math.abs(b - c) - 1, 0) ** 2 / n;
  return {
    discordant: n,
    exact: { statistic: k, pValue: exactPValue(k, n) },
    chi2: { statistic: uncorrected, pValue: chiSquaredSf(uncorrected, 1) },
    chi2Corrected: { statistic: corrected, pValue: chiSquaredSf(corrected, 1) },
  };
}

/** The p-value of the chosen form. */
export function mcnemarPValue(result: McNemarResult, variant: McNemarVariant): number {
  if (variant === 'exact') return result.exact.pValue;
  return variant === 'chi2' ? result.chi2.pValue : result.chi2Corrected.pValue;
}

/** Two-sided exact p-value for the smaller count k of n discordant rows. */
function exactPValue(k: number, n: number): number {
  // scipy: k == n p gives exactly 1 (the observed count is the mode).
  if (2 * k === n) return 1;
  // P(X <= k) for X ~ Binomial(n, 1/2) is I_{1/2}(n - k, k + 1); the other tail is its mirror.
  return Math.min(1, 2 * betainc(0.5, n - k, k + 1, true, false));
}
