import { InvalidArgumentError } from '@sightline/errors';

/**
 * Percentiles of a sample whose values carry weights (a k-means summary's centres weighted by
 * their clusters' sizes), for several q at once (one sort).
 *
 * With equal weights (or none) this is `np.percentile(values, qs)` with numpy's default linear
 * interpolation, bit for bit (virtual index (q / 100)(n - 1), numpy's `_lerp` form). With
 * unequal weights it is the same linear interpolation over weighted positions: the sorted
 * values sit at the centres of their weights' spans of the cumulative weight, c_i = S_i - w_i/2,
 * rescaled so the smallest value is at 0 and the largest at 1. That reduces to numpy's
 * positions i / (n - 1) for equal weights, does not change when every weight is scaled (weights
 * need not sum to anything), and lets a heavy value pull the percentiles towards itself.
 * numpy has no weighted linear percentile to compare with (its `weights` take only
 * `inverted_cdf`), hence this definition, stated so a user can reproduce it.
 *
 * @param values the sample (not modified).
 * @param weights one weight > 0 per value, or undefined for equal weights.
 * @param qs percentiles, each in [0, 100].
 * @throws InvalidArgumentError on an empty sample, a weight that is not > 0 and finite, a
 * weights length unlike the values', a NaN value, or a q outside [0, 100].
 */
export function weightedPercentiles(
  values: ArrayLike<number>,
  weights: ArrayLike<number> | undefined,
  qs: readonly number[],
): Float64Array {
  const n = values.length;
  if (n === 0) throw new InvalidArgumentError('weightedPercentiles: at least one value is required');
  if (weights !== undefined && weights.length !== n) {
    throw new InvalidArgumentError(`weightedPercentiles: expected ${n} weights, got ${weights.length}`);
  }
  for (const q of qs) {
    if (!(q >= 0 && q <= 100))
      throw new InvalidArgumentError(`weightedPercentiles: q must be in [0, 100], got ${q}`);
  }
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i]!)) throw new InvalidArgumentError(`weightedPercentiles: value ${i} is NaN`);
    if (weights !== undefined && !(weights[i]! > 0 && Number.isFinite(weights[i]!))) {
      throw new InvalidArgumentError(
        `weightedPercentiles: weight ${i} must be > 0 and finite, got ${weights[i]}`,
      );
    }
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => values[a]! - values[b]! || a - b);
  const sorted = Float64Array.from(order, (i) => values[i]!);
  const out = new Float64Array(qs.length);
  if (weights === undefined || allEqual(weights)) {
    qs.forEach((q, k) => {
      out[k] = interpolate(sorted, (q / 100) * (n - 1));
    });
    return out;
  }
  const centres = weightCentres(Float64Array.from(order, (i) => weights[i]!));
  qs.forEach((q, k) => {
    out[k] = weightedInterpolate(sorted, centres, q / 100);
  });
  return out;
}

/**
 * The positions of sorted values with these weights (in sorted order) on [0, 1]: each value at
 * the centre of its weight's span, the first at 0 and the last at 1. Exported for the test that
 * equal weights give numpy's positions i / (n - 1).
 */
export function weightCentres(sortedWeights: Float64Array): Float64Array {
  const n = sortedWeights.length;
  const centres = new Float64Array(n);
  let cumulative = 0;
  for (let i = 0; i < n; i++) {
    centres[i] = cumulative + sortedWeights[i]! / 2;
    cumulative += sortedWeights[i]!;
  }
  const first = centres[0]!;
  const span = centres[n - 1]! - first;
  for (let i = 0; i < n; i++) centres[i] = span > 0 ? (centres[i]! - first) / span : 0;
  return centres;
}

/** Linear interpolation of sorted values at a fraction in [0, 1] of weighted positions `centres`. */
export function weightedInterpolate(sorted: Float64Array, centres: Float64Array, fraction: number): number {
  const n = sorted.length;
  if (n === 1 || fraction <= 0) return sorted[0]!;
  if (fraction >= 1) return sorted[n - 1]!;
  // The last position at or below the fraction (centres ascend from 0 to 1).
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (centres[mid]! <= fraction) lo = mid;
    else hi = mid;
  }
  const width = centres[hi]! - centres[lo]!;
  return lerp(sorted[lo]!, sorted[hi]!, width > 0 ? (fraction - centres[lo]!) / width : 0);
}

function interpolate(sorted: Float64Array, position: number): number {
  const low = Math.floor(position);
  return lerp(sorted[low]!, sorted[Math.min(low + 1, sorted.length - 1)]!, position - low);
}

/** numpy's `_lerp`: exact at both ends, which keeps an edge on a repeated value equal to it. */
function lerp(a: number, b: number, fraction: number): number {
  return fraction >= 0.5 ? b - (b - a) * (1 - fraction) : a + (b - a) * fraction;
}

function allEqual(weights: ArrayLike<number>): boolean {
  for (let i = 1; i < weights.length; i++) if (weights[i] !== weights[0]) return false;
  return true;
}
