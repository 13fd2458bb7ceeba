/**
 * k-means (Lloyd's algorithm with k-means++ seeding and several seeded restarts, as
 * scikit-learn's KMeans), and shap's `kmeans` background summary built on it: k centres
 * weighted by their cluster's row count, each centre's values optionally rounded to the
 * nearest value the data holds in that column (shap's `round_values`).
 */
import type { SeededRandom } from '../random/seeded-random.js';

/** Options of {@link kMeans}. */
export interface KMeansOptions {
  /** Lloyd iterations per restart at most (scikit-learn: 300). */
  readonly maxIterations?: number;
  /** Restarts from new seeds; the lowest inertia wins (scikit-learn: 10). */
  readonly restarts?: number;
  /**
   * Convergence: stop when the centres move less than this times the mean per-column
   * variance of the data, in squared distance (scikit-learn's relative `tol`, 1e-4).
   */
  readonly tolerance?: number;
  /**
   * Asked before each seeding step and each Lloyd iteration; true stops the clustering with
   * {@link KMeansStoppedError} (a caller's time budget: a large k over many rows runs long).
   */
  readonly shouldStop?: () => boolean;
}

/** Thrown by {@link kMeans} when `shouldStop` answered true. */
export class KMeansStoppedError extends Error {
  constructor() {
    super('kMeans: stopped before it finished');
    this.name = 'KMeansStoppedError';
  }
}

/** A clustering of `count` rows. */
export interface KMeansResult {
  /** k × dims centre values, row-major. */
  readonly centres: Float64Array;
  /** The rows in each cluster. */
  readonly counts: Float64Array;
  /** The cluster of each row. */
  readonly labels: Int32Array;
  /** Sum of squared distances of rows to their centre. */
  readonly inertia: number;
  readonly k: number;
}

const DEFAULTS = { maxIterations: 300, restarts: 10, tolerance: 1e-4 } as const;

function squaredDistance(a: Float64Array, ai: number, b: Float64Array, bi: number, dims: number): number {
  let sum = 0;
  for (let d = 0; d < dims; d++) {
    const diff = a[ai + d]! - b[bi + d]!;
    sum += diff * diff;
  }
  return sum;
}

/** k-means++ seeding: each next centre drawn with probability proportional to its squared distance to the nearest chosen one. */
function seedCentres(
  rows: Float64Array,
  count: number,
  dims: number,
  k: number,
  random: SeededRandom,
  stop: (() => boolean) | undefined,
): Float64Array {
  const centres = new Float64Array(k * dims);
  const nearest = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
  let chosen = random.nextInt(count);
  for (let c = 0; c < k; c++) {
    if (stop?.()) throw new KMeansStoppedError();
    centres.set(rows.subarray(chosen * dims, (chosen + 1) * dims), c * dims);
    let total = 0;
    for (let i = 0; i < count; i++) {
      const d = squaredDistance(rows, i * dims, centres, c * dims, dims);
      if (d < nearest[i]!) nearest[i] = d;
      total += nearest[i]!;
    }
    if (c === k - 1) break;
    if (total === 0) {
      chosen = random.nextInt(count);
      continue;
    }
    let target = random.nextFloat() * total;
    chosen = count - 1;
    for (let i = 0; i < count; i++) {
      target -= nearest[i]!;
      if (target < 0) {
        chosen = i;
        break;
      }
    }
  }
  return centres;
}

function assign(
  rows: Float64Array,
  count: number,
  dims: number,
  centres: Float64Array,
  k: number,
  labels: Int32Array,
): number {
  let inertia = 0;
  for (let i = 0; i < count; i++) {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const d = squaredDistance(rows, i * dims, centres, c * dims, dims);
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    labels[i] = best;
    inertia += bestDistance;
  }
  return inertia;
}

function meanColumnVariance(rows: Float64Array, count: number, dims: number): number {
  let total = 0;
  for (let d = 0; d < dims; d++) {
    let mean = 0;
    for (let i = 0; i < count; i++) mean += rows[i * dims + d]!;
    mean /= count;
    let variance = 0;
    for (let i = 0; i < count; i++) variance += (rows[i * dims + d]! - mean) ** 2;
    total += variance / count;
  }
  return total / dims;
}

/** One restart of Lloyd's algorithm from k-means++ seeds. */
function lloyd(
  rows: Float64Array,
  count: number,
  dims: number,
  k: number,
  random: SeededRandom,
  maxIterations: number,
  shiftTolerance: number,
  stop: (() => boolean) | undefined,
): KMeansResult {
  let centres = seedCentres(rows, count, dims, k, random, stop);
  const labels = new Int32Array(count);
  const counts = new Float64Array(k);
  for (let iteration = 0; iteration < maxIterations; iteration++) {
    if (stop?.()) throw new KMeansStoppedError();
    assign(rows, count, dims, centres, k, labels);
    const next = new Float64Array(k * dims);
    counts.fill(0);
    for (let i = 0; i < count; i++) {
      const c = labels[i]!;
      counts[c]! += 1;
      for (let d = 0; d < dims; d++) next[c * dims + d]! += rows[i * dims + d]!;
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      // An empty cluster keeps its centre (scikit-learn moves it to a far point; with
      // k-means++ seeds on distinct rows this is rare and only costs that restart).
      for (let d = 0; d < dims; d++) {
        const value = counts[c]! > 0 ? next[c * dims + d]! / counts[c]! : centres[c * dims + d]!;
        shift += (value - centres[c * dims + d]!) ** 2;
        next[c * dims + d] = value;
      }
    }
    centres = next;
    if (shift <= shiftTolerance) break;
  }
  const inertia = assign(rows, count, dims, centres, k, labels);
  counts.fill(0);
  for (let i = 0; i < count; i++) counts[labels[i]!]! += 1;
  return { centres, counts, labels, inertia, k };
}

/**
 * Clusters `count` rows of `dims` values (row-major) into k clusters; the restart with the
 * lowest inertia wins. k is capped at `count`.
 */
export function kMeans(
  rows: Float64Array,
  count: number,
  dims: number,
  k: number,
  random: SeededRandom,
  options: KMeansOptions = {},
): KMeansResult {
  if (!(Number.isInteger(k) && k >= 1))
    throw new RangeError(`kMeans: k must be a positive integer, got ${k}`);
  if (count < 1 || rows.length !== count * dims) {
    throw new RangeError(`kMeans: expected ${count} rows of ${dims} values, got ${rows.length} values`);
  }
  const clusters = Math.min(k, count);
  const { maxIterations, restarts, tolerance } = { ...DEFAULTS, ...options };
  const shiftTolerance = tolerance * meanColumnVariance(rows, count, dims);
  let best: KMeansResult | undefined;
  for (let r = 0; r < Math.max(1, restarts); r++) {
    const result = lloyd(
      rows,
      count,
      dims,
      clusters,
      random,
      maxIterations,
      shiftTolerance,
      options.shouldStop,
    );
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

/** A weighted summary of rows: shap's `kmeans(X, k)`. */
export interface WeightedSummary {
  /** k × dims values, row-major. */
  readonly rows: Float64Array;
  /** Rows each summary row stands for (its cluster's count). */
  readonly weights: Float64Array;
  readonly count: number;
}

/**
 * shap's `kmeans`: k-means centres weighted by their cluster's row count. With
 * `roundValues` (shap's default), each centre value becomes the data's nearest value in that
 * column, so a summary row holds only values the features really take (categories stay
 * categories). Empty clusters are dropped.
 */
export function kMeansSummary(
  rows: Float64Array,
  count: number,
  dims: number,
  k: number,
  random: SeededRandom,
  options: KMeansOptions & { readonly roundValues?: boolean } = {},
): WeightedSummary {
  const result = kMeans(rows, count, dims, k, random, options);
  const kept: number[] = [];
  for (let c = 0; c < result.k; c++) if (result.counts[c]! > 0) kept.push(c);
  const out = new Float64Array(kept.length * dims);
  const weights = new Float64Array(kept.length);
  kept.forEach((c, j) => {
    weights[j] = result.counts[c]!;
    out.set(result.centres.subarray(c * dims, (c + 1) * dims), j * dims);
  });
  if (options.roundValues ?? true) {
    for (let d = 0; d < dims; d++) {
      const column = new Float64Array(count);
      for (let i = 0; i < count; i++) column[i] = rows[i * dims + d]!;
      column.sort();
      for (let j = 0; j < kept.length; j++) out[j * dims + d] = nearestSorted(column, out[j * dims + d]!);
    }
  }
  return { rows: out, weights, count: kept.length };
}

/** The value of ascending `sorted` nearest to `value` (the lower one on a tie). */
function nearestSorted(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  const above = sorted[lo]!;
  const below = lo > 0 ? sorted[lo - 1]! : above;
  return value - below <= above - value ? below : above;
}
