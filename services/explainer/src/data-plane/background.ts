/**
 * The background a method draws perturbations from: rows (given, or read from stored
 * events), reduced to `size` rows by a seeded uniform sample or shap's k-means summary
 * (centres weighted by cluster size), or kept whole.
 */
import { DeadlineExceededError, InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import { KMeansStoppedError, kMeansSummary, type SeededRandom } from '@sightline/stats';
import type { WeightedRows } from '../methods/method.js';
import type { FeatureRows } from './instances.js';

/** How rows are reduced (Background.reduction; unset means SAMPLE). */
export type BackgroundReduction = 'none' | 'sample' | 'kmeans';

/** Most rows kept after reduction that a request may ask for (contract: 1 to 10,000). */
export const MAX_BACKGROUND_SIZE = 10_000;

/** Limits of one reduction. */
export interface BackgroundLimits {
  /** --max-background-rows: rows given or kept at most. */
  readonly maxRows: number;
  /**
   * True once the explanation's time is spent: k-means (10 restarts of up to 300 Lloyd
   * iterations over rows × size) stops there instead of holding the event loop past the
   * caller's deadline. Unset: never.
   */
  readonly timeSpent?: () => boolean;
}

/**
 * Reduces `rows` as asked. `size` unset means `defaultSize` (undefined: every row).
 *
 * @throws ResourceExhaustedError for more rows than --max-background-rows, InvalidArgumentError
 *   for a size outside 1..10,000 or an empty background.
 */
export function reduceBackground(
  rows: FeatureRows,
  featureCount: number,
  reduction: BackgroundReduction,
  size: number | undefined,
  defaultSize: number | undefined,
  random: SeededRandom,
  limits: BackgroundLimits,
): WeightedRows {
  if (rows.count < 1)
    throw new InvalidArgumentError('background: at least one row is required (rule "background.set")');
  if (rows.count > limits.maxRows) {
    throw new ResourceExhaustedError(
      `background: ${rows.count} rows is above --max-background-rows ${limits.maxRows}; send fewer or reduce them first`,
    );
  }
  if (size !== undefined && !(Number.isInteger(size) && size >= 1 && size <= MAX_BACKGROUND_SIZE)) {
    throw new InvalidArgumentError(
      `background.size: must be between 1 and ${MAX_BACKGROUND_SIZE}, got ${size}`,
    );
  }
  const keep = Math.min(rows.count, size ?? defaultSize ?? rows.count, limits.maxRows);
  if (reduction === 'none' || keep >= rows.count) {
    return {
      featureCount,
      rows: rows.rows,
      weights: new Float64Array(rows.count).fill(1),
      count: rows.count,
    };
  }
  if (reduction === 'sample') {
    const order = Int32Array.from({ length: rows.count }, (_, i) => i);
    random.shuffle(order, keep);
    // The sample in the rows' own order, so its content, not the draw's order, is what counts.
    const chosen = Array.from(order.subarray(0, keep)).sort((a, b) => a - b);
    const out = new Float64Array(keep * featureCount);
    chosen.forEach((row, j) => {
      out.set(rows.rows.subarray(row * featureCount, (row + 1) * featureCount), j * featureCount);
    });
    return { featureCount, rows: out, weights: new Float64Array(keep).fill(1), count: keep };
  }
  let summary: ReturnType<typeof kMeansSummary>;
  try {
    summary = kMeansSummary(
      rows.rows,
      rows.count,
      featureCount,
      keep,
      random,
      limits.timeSpent ? { shouldStop: limits.timeSpent } : {},
    );
  } catch (error) {
    if (!(error instanceof KMeansStoppedError)) throw error;
    throw new DeadlineExceededError(
      `background.size: the k-means summary of ${rows.count} rows into ${keep} centres did not finish within the time budget; ask a smaller background.size, reduction SAMPLE, or a longer budget (rule "background.kmeans_time")`,
    );
  }
  return { featureCount, rows: summary.rows, weights: summary.weights, count: summary.count };
}
