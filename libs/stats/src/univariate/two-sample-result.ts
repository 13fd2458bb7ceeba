/**
 * The alternative hypothesis of a one- or two-sided two-sample test, named as scipy names it:
 * `less` means the first sample's CDF lies below the second's somewhere (its values tend to be
 * larger), `greater` the opposite, `two-sided` either.
 */
export type Alternative = 'two-sided' | 'less' | 'greater';

/** The statistic and p-value of a two-sample test. */
export interface TwoSampleTestResult {
  /** The test statistic, as scipy reports it. */
  readonly statistic: number;
  /** The p-value, in [0, 1]. */
  readonly pValue: number;
}
