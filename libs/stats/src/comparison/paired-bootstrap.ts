/**
 * Paired bootstrap of the difference in any metric between two models scored on the same rows:
 * each resample draws row indices once and evaluates both models on them, so the correlation
 * between the models (they mostly agree) narrows the interval as it should.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { DEFAULT_BOOTSTRAP_RESAMPLES, MAX_BOOTSTRAP_RESAMPLES } from '../metrics/bootstrap-interval.js';
import {
  type ConfidenceInterval,
  checkConfidence,
  DEFAULT_CONFIDENCE,
} from '../metrics/confidence-intervals.js';
import { percentile } from '../outlier/percentile.js';
import { seededRandom } from '../random/seeded-random.js';

/** A metric of one model over the rows named by `indices` (repeats allowed: a bootstrap resample). */
export type RowMetric = (indices: Uint32Array) => number;

/** Options of {@link pairedBootstrap}. */
export interface PairedBootstrapOptions {
  /** Resamples (default {@link DEFAULT_BOOTSTRAP_RESAMPLES}, at most {@link MAX_BOOTSTRAP_RESAMPLES}). */
  readonly resamples?: number;
  /** Two-sided level of the interval (default 0.95). */
  readonly confidence?: number;
  /** Seed of the resampling; the same seed, rows and metrics give the same result. */
  readonly seed?: number;
}

/** The observed difference, its bootstrap interval and one-sided p-values. */
export interface PairedBootstrapResult {
  readonly pairs: number;
  /** Baseline metric on all rows. */
  readonly baseline: number;
  /** Candidate metric on all rows. */
  readonly candidate: number;
  /** candidate - baseline on all rows. */
  readonly difference: number;
  /** Percentile interval of the resampled differences (numpy's linear percentile). */
  readonly interval: ConfidenceInterval;
  /** One-sided p-value for "candidate's metric is greater": (1 + #{d* <= 0}) / (1 + valid resamples). */
  readonly pValueGreater: number;
  /** One-sided p-value for "candidate's metric is less": (1 + #{d* >= 0}) / (1 + valid resamples). */
  readonly pValueLess: number;
  /** Resamples where both metrics were finite (others, e.g. an F1 with no positive row, are left out). */
  readonly validResamples: number;
}

/**
 * Bootstraps candidate(indices) - baseline(indices) over `count` paired rows.
 *
 * The p-values read the bootstrap distribution the usual way (Efron & Tibshirani 1993, 16.4): the
 * resampled differences d* spread around the observed d as d would spread around the true
 * difference, so the share of d* at or beyond 0 estimates how often a zero difference would
 * give one as large as observed. The +1 in numerator and denominator keeps the p-value above 0
 * (Davison & Hinkley 1997, 4.4), so 1,000 resamples cannot claim p < 1/1001.
 * @throws InvalidArgumentError for count < 1, a bad resample count or confidence, or a metric
 * that is not finite on all rows.
 */
export function pairedBootstrap(
  count: number,
  baseline: RowMetric,
  candidate: RowMetric,
  options: PairedBootstrapOptions = {},
): PairedBootstrapResult {
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  checkConfidence(confidence);
  if (!(Number.isSafeInteger(count) && count >= 1 && count <= 2 ** 32)) {
    throw new InvalidArgumentError(
      `paired bootstrap "count": expected an integer in [1, 2^32], got ${count}`,
    );
  }
  if (!(Number.isInteger(resamples) && resamples >= 1 && resamples <= MAX_BOOTSTRAP_RESAMPLES)) {
    throw new InvalidArgumentError(
      `paired bootstrap "resamples": expected an integer in [1, ${MAX_BOOTSTRAP_RESAMPLES}], got ${resamples}`,
    );
  }
  const indices = new Uint32Array(count);
  for (let i = 0; i < count; i++) indices[i] = i;
  const baselineAll = baseline(indices);
  const candidateAll = candidate(indices);
  if (!(Number.isFinite(baselineAll) && Number.isFinite(candidateAll))) {
    throw new InvalidArgumentError(
      `paired bootstrap: the metrics must be finite on all rows, got baseline ${baselineAll} and candidate ${candidateAll}`,
    );
  }
  const random = seededRandom(options.seed ?? 0);
  const differences: number[] = [];
  let atOrBelowZero = 0;
  let atOrAboveZero = 0;
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < count; i++) indices[i] = random.nextInt(count);
    const d = candidate(indices) - baseline(indices);
    if (!Number.isFinite(d)) continue;
    differences.push(d);
    if (d <= 0) atOrBelowZero += 1;
    if (d >= 0) atOrAboveZero += 1;
  }
  const valid = differences.length;
  const tail = (1 - confidence) / 2;
  return {
    pairs: count,
    baseline: baselineAll,
    candidate: candidateAll,
    difference: candidateAll - baselineAll,
    interval: {
      low: valid === 0 ? Number.NaN : percentile(differences, 100 * tail),
      high: valid === 0 ? Number.NaN : percentile(differences, 100 * (1 - tail)),
      confidence,
      method: 'bootstrap-percentile',
    },
    pValueGreater: (1 + atOrBelowZero) / (1 + valid),
    pValueLess: (1 + atOrAboveZero) / (1 + valid),
    validResamples: valid,
  };
}

/** The mean of `values` over the rows named by `indices`: accuracy of 0/1 correctness, MAE of absolute errors. */
export function meanOverRows(values: ArrayLike<number>): RowMetric {
  return (indices) => {
    let sum = 0;
    for (let i = 0; i < indices.length; i++) sum += values[indices[i]!]!;
    return sum / indices.length;
  };
}
