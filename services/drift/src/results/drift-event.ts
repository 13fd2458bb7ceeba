/**
 * The verdict of one tested batch and the DriftEvent of one closed window, in plain
 * TypeScript: what the data plane returns, the results log stores, the metrics export and
 * the CloudEvents sink sends. `contract/drift-messages.ts` maps them to drift.proto.
 */

/** The multiple-testing correction of univariate and tabular kinds. */
export type CorrectionName = 'bonferroni' | 'fdr';

/** Effect sizes of one feature against the reference. */
export interface FeatureEffectSizes {
  readonly psi: number;
  readonly jensenShannon: number;
  /** Numeric features only. */
  readonly wasserstein?: number;
  readonly hellinger: number;
}

/** The quality kind's counts for one feature of a batch. */
export interface FeatureQualityCounts {
  readonly rows: number;
  readonly missing: number;
  readonly outOfBounds: number;
  readonly unseenCategories: number;
  readonly typeViolations: number;
  readonly failureRate: number;
}

/**
 * The `test` of a feature that has no test of its own: the multivariate kinds (MMD, LSDD,
 * PCA) test all features together. Such a feature is listed for its effect sizes only; its
 * `pValue` and `statistic` are 0 and mean "not tested" (never "drifted"), its `isDrift` is
 * false, and no per-feature p-value, statistic or drift series is exported for it.
 */
export const NO_FEATURE_TEST = 'none';

/** One feature's test result. */
export interface FeatureVerdict {
  readonly index: number;
  readonly name: string;
  readonly isDrift: boolean;
  /** The test's p-value; 0 and meaningless when `test` is {@link NO_FEATURE_TEST}. */
  readonly pValue: number;
  /** The test statistic (KS distance, CVM statistic, chi-squared ...); 0 when not tested. */
  readonly statistic: number;
  /** "ks", "cvm", "chi2", "quality", or {@link NO_FEATURE_TEST} (effect sizes only). */
  readonly test: string;
  readonly featureType: 'numeric' | 'categorical';
  readonly effectSizes?: FeatureEffectSizes;
  readonly quality?: FeatureQualityCounts;
  /** Summarised window: the exact statistic lies within `statistic` +- this (0 for chi2). */
  readonly statisticErrorBound?: number;
  /** Summarised window, KS: the p-values at statistic + bound and statistic - bound. */
  readonly pValueRange?: readonly [number, number];
}

/** How a summarised window's verdict was approximated (contract: WindowApproximation). */
export interface VerdictApproximation {
  readonly windowRows: number;
  readonly relativeAccuracy: number;
  /** MMD, LSDD, PCA: rows of the sample the statistic was computed on. */
  readonly sampledRows?: number;
  /** The largest per-feature statistic error bound (0 where every test was exact). */
  readonly maxStatisticErrorBound: number;
  readonly note: string;
}

/** A batch's verdict: Alibi Detect's `data` of a drift detector, plus what Sightline adds. */
export interface DriftVerdict {
  readonly isDrift: boolean;
  /** The cut-off the verdict used (a p-value after correction, a distance, a rate). */
  readonly threshold: number;
  readonly features: readonly FeatureVerdict[];
  /** Multivariate kinds: the permutation p-value. */
  readonly pValue?: number;
  /** Multivariate kinds: the statistic (MMD², LSDD, PCA error). */
  readonly distance?: number;
  readonly distanceThreshold?: number;
  readonly sigma?: number;
  /** The significance level before correction. */
  readonly pValueAlpha: number;
  readonly correction?: CorrectionName;
  /** "p_value", an effect size name, "distance" or "failure_rate". */
  readonly verdictOn: string;
  readonly rows: number;
  /** Online kinds: every row's verdict and where the stream stands. */
  readonly online?: OnlineVerdict;
  /** Present when the window was summarised (past its exact_rows) and scored approximately. */
  readonly approximation?: VerdictApproximation;
}

/** One row's verdict of an online detector. */
export interface OnlineRowVerdict {
  readonly time: number;
  readonly testStat: number;
  readonly threshold: number;
  readonly isDrift: boolean;
}

/** What an online detector found over a call's (or a live batch's) rows. */
export interface OnlineVerdict {
  /** Rows seen after the last row. */
  readonly time: number;
  /** The statistic after the last row. */
  readonly testStat: number;
  /** The first row's time at which drift was detected, if any. */
  readonly driftTime?: number;
  readonly ert: number;
  readonly rows: readonly OnlineRowVerdict[];
}

/** Why a window closed. */
export type WindowClosedBy = 'rows' | 'time' | 'shutdown';

/** One closed window's result: stored, exported to Prometheus, sent to the sink. */
export interface DriftEventRecord {
  readonly eventId: string;
  readonly detector: string;
  readonly detectorVersion: number;
  readonly origin: 'live' | 'history';
  readonly modelName: string;
  readonly modelVersion: string;
  readonly windowStartUnixMs: number;
  readonly windowEndUnixMs: number;
  readonly events: number;
  readonly rows: number;
  /** Up to --max-request-ids-per-event of them. */
  readonly requestIds: readonly string[];
  readonly requestIdCount: number;
  readonly closedBy: WindowClosedBy;
  /** When the window was scored, ms since the epoch. */
  readonly timeUnixMs: number;
  readonly verdict: DriftVerdict;
  /** A window merged from replicas' shares: the replicas whose shares it holds. */
  readonly sharesMerged?: number;
  /** A merged window: the shares expected (the merger's --replicas). */
  readonly sharesExpected?: number;
}
