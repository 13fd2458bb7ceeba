import { InvalidArgumentError } from '@sightline/errors';
import type { DenseMatrix } from '../matrix.js';
import { checkTwoSamples, DEFAULT_MAX_POOLED_ROWS } from './kernel-limits.js';
import type { KernelThreads } from './kernel-threads.js';
import { kthSmallest, pooledSquaredDistances } from './pairwise-distances.js';

/**
 * Gaussian-kernel bandwidth by the median heuristic on the pooled sample z = [x; y]:
 *
 *   sigma = sqrt(median_{i<j} |z_i - z_j|² / 2)
 *
 * with the lower median (element floor((M-1)/2) of the M = N(N-1)/2 sorted pair distances).
 * This is Alibi Detect's `sigma_median(z, z, dist)` (which skips the N zero self-distances and
 * takes the lower middle of the doubled off-diagonal list), applied to the pooled sample as
 * the issue asks. Alibi's `MMDDrift` applies it to the reference-vs-test distances instead;
 * both agree in the limit but can differ on a given pair of samples.
 * Memory: N(N-1)/2 doubles, so the pooled rows are limited to `maxPooledRows`
 * (default {@link DEFAULT_MAX_POOLED_ROWS}).
 * @throws InvalidArgumentError when more than half the pairs are identical points (sigma 0).
 * @throws ResourceExhaustedError above `maxPooledRows`.
 */
export function medianHeuristicSigma(
  x: DenseMatrix,
  y: DenseMatrix,
  options: { readonly maxPooledRows?: number; readonly threads?: KernelThreads } = {},
): number {
  checkTwoSamples(x, y, ['x', 'y'], options.maxPooledRows ?? DEFAULT_MAX_POOLED_ROWS);
  return sigmaFromPackedSquaredDistances(pooledSquaredDistances(x, y, options.threads));
}

/** {@link medianHeuristicSigma} from already-computed packed pair distances. */
export function sigmaFromPackedSquaredDistances(packed: Float64Array): number {
  const median = kthSmallest(packed, Math.floor((packed.length - 1) / 2));
  const sigma = Math.sqrt(0.5 * median);
  if (!(sigma > 0)) {
    throw new InvalidArgumentError(
      'sigma: the median pairwise distance is 0 (more than half the pairs are identical points); pass sigma explicitly',
    );
  }
  return sigma;
}
