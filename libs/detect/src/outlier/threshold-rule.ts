/**
 * The percentile rules every outlier kind's threshold is set by (Alibi Detect's
 * `infer_threshold`): a percentile of the scores of data assumed to be mostly inliers
 * (typically the reference), given as a percentile, an expected false-positive rate, or
 * scikit-learn's contamination. An instance is an outlier when its score is above the threshold.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { percentile as numpyPercentile } from '@sightline/stats';

/** The percentile when no rule is given: Alibi's `threshold_perc` default. */
export const DEFAULT_THRESHOLD_PERCENTILE = 95;
/** Largest contamination (scikit-learn's range (0, 0.5]: above half, outliers are the majority). */
export const MAX_CONTAMINATION = 0.5;

/** The ways a caller may say where the threshold goes; at most one of them. */
export interface PercentileRule {
  /** In (0, 100]: the share of the data (percent) that scores at or below the threshold. */
  readonly thresholdPercentile?: number;
  /** In (0, 1): the share of inliers allowed to be flagged; percentile 100 (1 - rate). */
  readonly expectedFalsePositiveRate?: number;
  /** Isolation forest's contamination, in (0, 0.5]: percentile 100 (1 - contamination). */
  readonly contamination?: number;
}

/**
 * The percentile a rule asks for ({@link DEFAULT_THRESHOLD_PERCENTILE} when it asks for none).
 * Errors name the contract's fields under `fieldPrefix` (`''` for InferThreshold's
 * `threshold_percentile`, `'config.'` for a config's `config.threshold_percentile` and
 * `config.iforest.contamination`).
 * @throws InvalidArgumentError for a value out of its range, or more than one rule (rule
 *   `threshold.one_rule`, or `config.threshold_one_rule` under `config.`).
 */
export function resolvePercentile(rule: PercentileRule, fieldPrefix = ''): number {
  const fields = {
    thresholdPercentile: `${fieldPrefix}threshold_percentile`,
    expectedFalsePositiveRate: `${fieldPrefix}expected_false_positive_rate`,
    contamination: `${fieldPrefix}iforest.contamination`,
  } as const;
  const given = (Object.keys(fields) as (keyof PercentileRule)[]).filter((k) => rule[k] !== undefined);
  if (given.length > 1) {
    const ruleName = fieldPrefix === '' ? 'threshold.one_rule' : `${fieldPrefix}threshold_one_rule`;
    throw new InvalidArgumentError(
      `${given.map((k) => fields[k]).join(' and ')}: set at most one of them (rule "${ruleName}")`,
      { field: fields[given[1]!] },
    );
  }
  const { thresholdPercentile, expectedFalsePositiveRate, contamination } = rule;
  if (thresholdPercentile !== undefined) {
    if (!(thresholdPercentile > 0 && thresholdPercentile <= 100)) {
      throw outOfRange(fields.thresholdPercentile, '(0, 100]', thresholdPercentile);
    }
    return thresholdPercentile;
  }
  if (expectedFalsePositiveRate !== undefined) {
    if (!(expectedFalsePositiveRate > 0 && expectedFalsePositiveRate < 1)) {
      throw outOfRange(fields.expectedFalsePositiveRate, '(0, 1)', expectedFalsePositiveRate);
    }
    return 100 * (1 - expectedFalsePositiveRate);
  }
  if (contamination !== undefined) {
    if (!(contamination > 0 && contamination <= MAX_CONTAMINATION)) {
      throw outOfRange(fields.contamination, `(0, ${MAX_CONTAMINATION}]`, contamination);
    }
    return 100 * (1 - contamination);
  }
  return DEFAULT_THRESHOLD_PERCENTILE;
}

/**
 * The threshold at `percentile` of `scores`: numpy's `np.percentile` with linear
 * interpolation, bit for bit (Alibi's `infer_threshold`).
 * @throws InvalidArgumentError for no scores or a percentile outside [0, 100].
 */
export function thresholdAtPercentile(scores: ArrayLike<number>, percentile: number): number {
  if (scores.length === 0) {
    throw new InvalidArgumentError('the threshold needs the scores of at least one row', { field: 'data' });
  }
  return numpyPercentile(scores, percentile);
}

function outOfRange(field: string, range: string, value: number): InvalidArgumentError {
  return new InvalidArgumentError(`${field}: must be in ${range}, got ${value}`, { field });
}
