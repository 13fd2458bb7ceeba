/** The settings of direct loss estimation (the loss models' reference), resolved and checked once. */
import { InvalidArgumentError } from '@sightline/errors';
import { MIN_DIRECT_LOSS_REFERENCE_ROWS } from '@sightline/stats';

/** Default reference size: a regression series' first 1,000 labelled elements (`--dle-reference-pairs`). */
export const DEFAULT_DLE_REFERENCE_PAIRS = 1_000;
/** Default fewest labelled elements before a first fit (`--dle-min-reference-pairs`). */
export const DEFAULT_DLE_MIN_REFERENCE_PAIRS = 100;
/** Largest reference: every element is held in memory for the fit (two doubles and terms each). */
export const MAX_DLE_REFERENCE_PAIRS = 100_000;
/** Default wait before a series whose reference is not full reads it again (`--dle-refit-interval-ms`). */
export const DEFAULT_DLE_REFIT_INTERVAL_MS = 60_000;

/** Options of {@link DirectLossModels}. */
export interface DirectLossOptions {
  /**
   * The reference: the series' earliest joined elements by prediction time, up to this many
   * (default {@link DEFAULT_DLE_REFERENCE_PAIRS}, at most {@link MAX_DLE_REFERENCE_PAIRS}); 0
   * turns direct loss estimation off. Once full the fit is kept for good (NannyML's reference
   * period: later traffic is what it judges, not what it learns from).
   */
  readonly referencePairs: number;
  /** Fewest elements for a fit (default {@link DEFAULT_DLE_MIN_REFERENCE_PAIRS}, at least 10, at most `referencePairs`). */
  readonly minReferencePairs: number;
  /** While the reference is not full, it is read again at most this often (default {@link DEFAULT_DLE_REFIT_INTERVAL_MS}). */
  readonly refitIntervalMs: number;
}

/**
 * Fills in the defaults and checks each option.
 * @throws InvalidArgumentError naming the option and its rule.
 */
export function resolveDirectLossOptions(partial: Partial<DirectLossOptions> = {}): DirectLossOptions {
  const referencePairs = partial.referencePairs ?? DEFAULT_DLE_REFERENCE_PAIRS;
  if (
    !(Number.isInteger(referencePairs) && referencePairs >= 0 && referencePairs <= MAX_DLE_REFERENCE_PAIRS)
  ) {
    throw new InvalidArgumentError(
      `referencePairs: must be an integer in [0, ${MAX_DLE_REFERENCE_PAIRS}] (--dle-reference-pairs), got ${referencePairs}`,
    );
  }
  const minReferencePairs =
    partial.minReferencePairs ?? Math.min(DEFAULT_DLE_MIN_REFERENCE_PAIRS, Math.max(referencePairs, 10));
  if (
    !(
      Number.isInteger(minReferencePairs) &&
      minReferencePairs >= MIN_DIRECT_LOSS_REFERENCE_ROWS &&
      (referencePairs === 0 || minReferencePairs <= referencePairs)
    )
  ) {
    throw new InvalidArgumentError(
      `minReferencePairs: must be an integer from ${MIN_DIRECT_LOSS_REFERENCE_ROWS} to referencePairs (${referencePairs}) (--dle-min-reference-pairs), got ${minReferencePairs}`,
    );
  }
  const refitIntervalMs = partial.refitIntervalMs ?? DEFAULT_DLE_REFIT_INTERVAL_MS;
  if (!(Number.isInteger(refitIntervalMs) && refitIntervalMs >= 0)) {
    throw new InvalidArgumentError(
      `refitIntervalMs: must be an integer >= 0 (--dle-refit-interval-ms), got ${refitIntervalMs}`,
    );
  }
  return { referencePairs, minReferencePairs, refitIntervalMs };
}
