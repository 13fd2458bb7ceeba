import { InvalidArgumentError } from '@sightline/errors';
import { percentile } from '../outlier/percentile.js';
import { seededRandom } from '../random/seeded-random.js';
import { type ConfidenceInterval, checkConfidence, DEFAULT_CONFIDENCE } from './confidence-intervals.js';

/** Resamples by default: 1,000, enough for a 95% percentile interval's ends to about +-0.1 standard error. */
export const DEFAULT_BOOTSTRAP_RESAMPLES = 1000;
/** Most resamples one interval may take (each calls the statistic once on `count` indices). */
export const MAX_BOOTSTRAP_RESAMPLES = 100_000;

/** Options of {@link bootstrapInterval}. */
export interface BootstrapOptions {
  /** Number of resamples (default {@link DEFAULT_BOOTSTRAP_RESAMPLES}). */
  readonly resamples?: number;
  /** Two-sided level (default 0.95). */
  readonly confidence?: number;
  /** Seed of the resampling ({@link seededRandom}); the same seed gives the same interval. */
  readonly seed?: number;
}

/** A bootstrap interval and the resamples it rests on. */
export interface BootstrapInterval extends ConfidenceInterval {
  /** Resamples whose statistic was finite (an undefined value, e.g. R² of a constant resample, is left out). */
  readonly validResamples: number;
}

/**
 * Percentile bootstrap interval (Efron) for a statistic without a closed-form interval (F1,
 * ROC AUC, R², log loss): `resamples` times, `count` row indices are drawn with replacement and
 * `statistic(indices)` evaluated; the interval is the (1 - confidence)/2 and (1 + confidence)/2
 * quantiles (numpy's linear `np.percentile`) of the finite values (scipy's
 * `bootstrap(method='percentile')` in definition, not in its random stream). NaN ends when no
 * resample gives a finite value.
 * @throws InvalidArgumentError for count < 1 or a resample count outside [1, MAX_BOOTSTRAP_RESAMPLES].
 */
export function bootstrapInterval(
  count: number,
  statistic: (indices: Uint32Array) => number,
  options: BootstrapOptions = {},
): BootstrapInterval {
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP_RESAMPLES;
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  checkConfidence(confidence);
  if (!(Number.isInteger(count) && count >= 1)) {
    throw new InvalidArgumentError(`bootstrap: count must be an integer >= 1, got ${count}`);
  }
  if (!(Number.isInteger(resamples) && resamples >= 1 && resamples <= MAX_BOOTSTRAP_RESAMPLES)) {
    throw new InvalidArgumentError(
      `bootstrap: resamples must be an integer in [1, ${MAX_BOOTSTRAP_RESAMPLES}], got ${resamples}`,
    );
  }
  const random = seededRandom(options.seed ?? 0);
  const indices = new Uint32Array(count);
  const values: number[] = [];
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < count; i++) indices[i] = random.nextInt(count);
    const value = statistic(indices);
    if (Number.isFinite(value)) values.push(value);
  }
  const alpha = (1 - confidence) / 2;
  return {
    low: values.length === 0 ? Number.NaN : percentile(values, 100 * alpha),
    high: values.length === 0 ? Number.NaN : percentile(values, 100 * (1 - alpha)),
    confidence,
    method: 'bootstrap-percentile',
    validResamples: values.length,
  };
}
