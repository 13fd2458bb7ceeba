/**
 * A plain verdict on two model versions scored on the same traffic (a splitter or a shadow):
 * better, worse, or no evidence yet — and then how many more labelled pairs would settle it.
 */
import type { ConfidenceInterval } from '../metrics/confidence-intervals.js';
import { type McNemarVariant, mcnemarPValue, mcnemarTest } from './mcnemar.js';
import { type PairedBootstrapOptions, pairedBootstrap, type RowMetric } from './paired-bootstrap.js';
import { checkPairedCounts, type PairedCounts } from './paired-counts.js';
import { type PairedIntervalMethod, pairedAccuracyDifference } from './paired-difference-interval.js';
import {
  bootstrapPairsNeeded,
  checkProbability,
  DEFAULT_COMPARISON_ALPHA,
  DEFAULT_COMPARISON_POWER,
  mcnemarPairsNeeded,
} from './sample-size.js';

/** The verdict, from the candidate's point of view. */
export type ComparisonVerdict = 'better' | 'worse' | 'no evidence yet';

/** Accuracy of two classifiers on the same rows, by McNemar's test. */
export interface McNemarComparison {
  readonly test: 'mcnemar';
  readonly counts: PairedCounts;
  /** Form of the test (default `exact`, valid at any count). */
  readonly variant?: McNemarVariant;
  /** Interval of the accuracy difference (default `newcombe`). */
  readonly intervalMethod?: PairedIntervalMethod;
}

/** Any metric of two models on the same rows, by the paired bootstrap. */
export interface BootstrapComparison extends PairedBootstrapOptions {
  readonly test: 'bootstrap';
  /** Paired rows. */
  readonly count: number;
  readonly baseline: RowMetric;
  readonly candidate: RowMetric;
  /** True for accuracy, F1, AUC; false for losses (MAE, RMSE, log loss), where a decrease is better. */
  readonly higherIsBetter: boolean;
}

/** Options of {@link compareVersions}. */
export interface CompareVersionsOptions {
  /** Two-sided significance level (default {@link DEFAULT_COMPARISON_ALPHA}); the interval's level is 1 - alpha. */
  readonly alpha?: number;
  /** Power for the size estimate (default {@link DEFAULT_COMPARISON_POWER}). */
  readonly power?: number;
}

/** The verdict and the evidence behind it. */
export interface VersionComparison {
  readonly verdict: ComparisonVerdict;
  /** `mcnemar-exact`, `mcnemar-chi2`, `mcnemar-chi2-corrected` or `paired-bootstrap`. */
  readonly test: string;
  readonly pairs: number;
  /** Candidate minus baseline (accuracy for McNemar, the metric for the bootstrap). */
  readonly difference: number;
  /** Interval of the difference at level 1 - alpha. */
  readonly interval: ConfidenceInterval;
  /** Two-sided p-value. */
  readonly pValue: number;
  readonly alpha: number;
  readonly power: number;
  /**
   * With `no evidence yet`: total pairs at which the observed difference would be detected
   * with the stated power (McNemar: Connor 1987, continuity-corrected for the exact and
   * corrected forms, see {@link mcnemarPairsNeeded}; bootstrap: the half-width scaled by 1/sqrt(n)),
   * `Infinity` when the observed difference is 0. Absent with a verdict.
   */
  readonly pairsNeeded?: number;
  /** pairsNeeded minus the pairs seen, at least 0 (0: the difference sits at the edge of detection). */
  readonly additionalPairsNeeded?: number;
  /** Bootstrap only: both metrics on all rows and the resamples where both were finite (the report shows them). */
  readonly bootstrap?: {
    readonly baseline: number;
    readonly candidate: number;
    readonly validResamples: number;
  };
}

/**
 * Compares a candidate version with the baseline on the same rows.
 *
 * McNemar: `better` when the chosen form's p-value is <= alpha and the candidate got more of the
 * discordant rows right, `worse` when fewer. Bootstrap: `better`/`worse` when the 1 - alpha
 * percentile interval of the difference excludes 0, in the direction `higherIsBetter` names;
 * the p-value is twice the smaller one-sided bootstrap p-value (capped at 1).
 * @throws InvalidArgumentError for bad counts, alpha or power outside (0, 1), or bad bootstrap options.
 */
export function compareVersions(
  input: McNemarComparison | BootstrapComparison,
  options: CompareVersionsOptions = {},
): VersionComparison {
  const alpha = options.alpha ?? DEFAULT_COMPARISON_ALPHA;
  const power = options.power ?? DEFAULT_COMPARISON_POWER;
  checkProbability(alpha, 'alpha');
  checkProbability(power, 'power');
  return input.test === 'mcnemar'
    ? compareByMcNemar(input, alpha, power)
    : compareByBootstrap(input, alpha, power);
}

function compareByMcNemar(input: McNemarComparison, alpha: number, power: number): VersionComparison {
  checkPairedCounts(input.counts);
  const variant = input.variant ?? 'exact';
  const test = mcnemarTest(input.counts);
  const pValue = mcnemarPValue(test, variant);
  const accuracy = pairedAccuracyDifference(input.counts, 1 - alpha, input.intervalMethod ?? 'newcombe');
  const base = {
    test: `mcnemar-${variant}`,
    pairs: accuracy.pairs,
    difference: accuracy.difference,
    interval: accuracy.interval,
    pValue,
    alpha,
    power,
  };
  if (pValue <= alpha && accuracy.difference !== 0) {
    return { ...base, verdict: accuracy.difference > 0 ? 'better' : 'worse' };
  }
  const pairsNeeded =
    accuracy.pairs === 0
      ? Number.POSITIVE_INFINITY
      : mcnemarPairsNeeded(
          test.discordant / accuracy.pairs,
          accuracy.difference,
          alpha,
          power,
          variant !== 'chi2',
        );
  return withNeed(base, pairsNeeded);
}

function compareByBootstrap(input: BootstrapComparison, alpha: number, power: number): VersionComparison {
  const result = pairedBootstrap(input.count, input.baseline, input.candidate, {
    resamples: input.resamples,
    seed: input.seed,
    confidence: 1 - alpha,
  });
  const pValue = Math.min(1, 2 * Math.min(result.pValueGreater, result.pValueLess));
  const base = {
    test: 'paired-bootstrap',
    bootstrap: {
      baseline: result.baseline,
      candidate: result.candidate,
      validResamples: result.validResamples,
    },
    pairs: result.pairs,
    difference: result.difference,
    interval: result.interval,
    pValue,
    alpha,
    power,
  };
  const { low, high } = result.interval;
  const increased = low > 0;
  const decreased = high < 0;
  if (increased || decreased) {
    return { ...base, verdict: increased === input.higherIsBetter ? 'better' : 'worse' };
  }
  const halfWidth = (high - low) / 2;
  const pairsNeeded = Number.isFinite(halfWidth)
    ? bootstrapPairsNeeded(result.pairs, halfWidth, 1 - alpha, result.difference, alpha, power)
    : Number.POSITIVE_INFINITY;
  return withNeed(base, pairsNeeded);
}

function withNeed(base: Omit<VersionComparison, 'verdict'>, pairsNeeded: number): VersionComparison {
  return {
    ...base,
    verdict: 'no evidence yet',
    pairsNeeded,
    additionalPairsNeeded: Math.max(pairsNeeded - base.pairs, 0),
  };
}
