/**
 * What a drift detector answers for one scored table: per feature the test, statistic,
 * p-value, effect sizes and verdict; the overall corrected verdict with the threshold and
 * correction used; for multivariate kinds the one statistic; for `quality` the counts.
 */

import type { Correction, EffectSizes } from '../kernels.js';
import type { ColumnKind } from '../table/feature-table.js';
import type { WindowApproximation } from './summarised-table.js';

/** The test run on one feature; `none` under multivariate kinds (effect sizes only). */
export type FeatureTest = 'ks' | 'cvm' | 'chi2' | 'quality' | 'none';

/** Effect-size metrics an alert can be set on. */
export type EffectSizeMetric = 'psi' | 'jensenShannon' | 'wasserstein' | 'hellinger';

/** Alert on an effect size instead of p-values: drift when `metric` > `above` for any feature. */
export interface EffectSizeAlertRule {
  readonly metric: EffectSizeMetric;
  readonly above: number;
}

/** Data-quality counts of one feature in one window (the `quality` kind). */
export interface QualityCounts {
  /** NaN or empty cells (type violations not included). */
  readonly missing: number;
  /** +-Infinity. */
  readonly infinite: number;
  /**
   * Finite values below the reference's minimum or above its maximum. Each of them is also
   * in `outOfBounds` (the range holds the quantile bounds): do not add the two.
   */
  readonly outOfRange: number;
  /**
   * Finite values outside the reference's quantile bounds (see the kind's `quantileBounds`),
   * out-of-range values included; each value counts once. With `missing`, `infinite`,
   * `unseenCategories` and `typeViolations` it makes the failed checks (disjoint counts).
   */
  readonly outOfBounds: number;
  /** Values of a categorical feature never seen at fit. */
  readonly unseenCategories: number;
  /** Strings that are no number in a numeric column, numbers where string categories were fitted. */
  readonly typeViolations: number;
  /** Each count divided by the window's rows. */
  readonly rates: {
    readonly missing: number;
    readonly infinite: number;
    readonly outOfRange: number;
    readonly outOfBounds: number;
    readonly unseenCategories: number;
    readonly typeViolations: number;
  };
}

/** The result for one feature. */
export interface FeatureDrift {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly test: FeatureTest;
  /** The test statistic (KS D, CVM T, chi2); for `quality` the highest rate; absent for `none`. */
  readonly statistic?: number;
  /** The p-value (absent for `quality` and `none`). */
  readonly pValue?: number;
  /** The verdict: p-value below the corrected threshold, or a quality rate above its limit. */
  readonly drift: boolean;
  /** Against the reference; absent where the feature had no finite value. */
  readonly effectSizes?: EffectSizes;
  /** Whether the effect-size alert rule fires for this feature (only with an alert rule). */
  readonly alert?: boolean;
  /** Quality counts (the `quality` kind). */
  readonly quality?: QualityCounts;
  /**
   * On a summarised window: the exact statistic (on the window's raw values) lies within
   * `statistic` +- this (KS against a sketch; 0 where the test is exact from counts, chi2).
   */
  readonly statisticErrorBound?: number;
  /** On a summarised window (KS): the p-values at the ends of that interval, [low, high]. */
  readonly pValueRange?: readonly [number, number];
}

/** The one statistic of a multivariate kind. */
export interface MultivariateDrift {
  readonly test: 'mmd' | 'lsdd' | 'pca';
  /** MMD^2, the LSDD, or the PCA reconstruction error. */
  readonly statistic: number;
  /** Permutation p-value (absent for `pca`, which compares to reference bounds). */
  readonly pValue?: number;
  /** Gaussian kernel bandwidth used (MMD, LSDD). */
  readonly sigma?: number;
  /** The statistic's value at the verdict's boundary (permutation quantile, PCA upper bound). */
  readonly distanceThreshold: number;
  /** PCA: the lower bound below which the error is drift too. */
  readonly lowerThreshold?: number;
}

/** One row's verdict of an online kind. */
export interface OnlineRowDrift {
  /** Rows seen since the fit or the last reset, this one included. */
  readonly time: number;
  /** The statistic after this row (NaN while no window is full). */
  readonly testStat: number;
  /** The threshold at this time (NaN while no window is full). */
  readonly threshold: number;
  readonly drift: boolean;
}

/** What an online kind found over the rows of one call (Alibi's per-row `predict`, gathered). */
export interface OnlineDrift {
  readonly test: 'online-mmd' | 'online-cvm';
  /** Rows seen after the last row of the call. */
  readonly time: number;
  /** The statistic after the last row. */
  readonly testStat: number;
  /** The threshold at `time`. */
  readonly threshold: number;
  /** The time of the first row of the call at which drift was detected. */
  readonly driftTime?: number;
  /** The expected run time the thresholds were configured for. */
  readonly ert: number;
  /** Every row's verdict, in order. */
  readonly steps: readonly OnlineRowDrift[];
}

/** What a verdict rests on. */
export type VerdictBasis = 'p-value' | 'effect-size' | 'quality' | 'reconstruction-error' | 'test-statistic';

/** The overall verdict. */
export interface OverallDrift {
  readonly drift: boolean;
  readonly basis: VerdictBasis;
  /** The p-value cut-off used (alpha/m for Bonferroni, BH's cut-off for fdr; alpha for one test). */
  readonly threshold: number;
  /** `none` where one test decides (multivariate kinds, quality). */
  readonly correction: Correction | 'none';
  readonly alpha: number;
}

/** A drift detector's answer for one table. */
export interface DriftResult {
  readonly kind: string;
  /** Rows scored. */
  readonly rows: number;
  readonly referenceRows: number;
  readonly features: readonly FeatureDrift[];
  readonly overall: OverallDrift;
  readonly multivariate?: MultivariateDrift;
  /** Online kinds: the rows' verdicts. */
  readonly online?: OnlineDrift;
  /** Present when the window was summarised (too large to hold as rows): how it was approximated. */
  readonly approximation?: WindowApproximation;
  /** The effect-size alert rule and what it found, when the detector has one. */
  readonly alert?: EffectSizeAlertRule & {
    readonly triggered: boolean;
    readonly features: readonly string[];
  };
}
