/**
 * What every outlier kind's `score` returns: one score per row (higher is more outlying),
 * and per feature for kinds that have them (the autoencoder's squared reconstruction
 * error). The threshold and the verdict are the service's: a kind only scores.
 */
import type { DetectorKind } from '../kinds/detector-kind.js';

/** Scores of a table's rows. */
export interface OutlierScores {
  /** Per row, in row order. */
  readonly instanceScores: Float64Array;
  /** Per row and feature, row-major (rows × features); absent for kinds without them. */
  readonly featureScores?: Float64Array;
}

/** An outlier detector kind (`iforest`, `mahalanobis`, `autoencoder`). */
export type OutlierKind = DetectorKind<OutlierScores>;
