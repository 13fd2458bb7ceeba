import { InvalidArgumentError } from '@sightline/errors';
import {
  DEFAULT_PSI_EPSILON,
  hellingerDistance,
  jensenShannonDistance,
  populationStabilityIndex,
} from './distribution-distances.js';
import { wassersteinDistance } from './wasserstein.js';

/** Effect sizes of one feature's window against its reference. */
export interface EffectSizes {
  /** Population stability index over the bins (see {@link populationStabilityIndex}). */
  psi: number;
  /** Jensen-Shannon distance, natural log (scipy's `jensenshannon`). */
  jensenShannon: number;
  /** Wasserstein-1 distance on the raw values (numeric features only; scipy's `wasserstein_distance`). */
  wasserstein?: number;
  /** Hellinger distance over the bins, in [0, 1]. */
  hellinger: number;
}

/** Bins of a numeric feature by default: deciles of the reference, as most PSI implementations. */
export const DEFAULT_EFFECT_SIZE_BINS = 10;

/** Options of {@link numericEffectSizes}. */
export interface NumericEffectSizeOptions {
  /** Number of reference-quantile bins (default {@link DEFAULT_EFFECT_SIZE_BINS}). */
  readonly bins?: number;
  /** Empty-bin proportion for PSI (default {@link DEFAULT_PSI_EPSILON}). */
  readonly epsilon?: number;
}

/**
 * Interior bin edges at the reference quantiles k / bins, k = 1..bins-1 (numpy's default
 * linear-interpolation quantile), with repeated edges dropped (discrete data gets fewer bins).
 * The outer bins are open, so values outside the reference's range land in the end bins.
 */
export function quantileBinEdges(
  referenceSorted: Float64Array,
  bins: number = DEFAULT_EFFECT_SIZE_BINS,
): Float64Array {
  const n = referenceSorted.length;
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    // (k / bins) * (n - 1) in that order, as np.quantile forms its virtual index.
    const position = (k / bins) * (n - 1);
    const low = Math.floor(position);
    const fraction = position - low;
    const a = referenceSorted[low]!;
    const b = referenceSorted[Math.min(low + 1, n - 1)]!;
    // numpy's _lerp form, so the edge equals np.quantile's bit for bit.
    const edge = fraction >= 0.5 ? b - (b - a) * (1 - fraction) : a + (b - a) * fraction;
    if (edges.length === 0 || edge !== edges[edges.length - 1]) edges.push(edge);
  }
  return Float64Array.from(edges);
}

/** Counts per bin: bin k holds edges[k-1] <= v < edges[k] (numpy's searchsorted side 'right'). */
export function binCounts(values: ArrayLike<number>, edges: Float64Array): Float64Array {
  const counts = new Float64Array(edges.length + 1);
  for (let t = 0; t < values.length; t++) {
    const v = values[t]!;
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (edges[mid]! <= v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]! += 1;
  }
  return counts;
}

/**
 * PSI, Jensen-Shannon and Hellinger over reference-quantile bins ({@link quantileBinEdges},
 * 10 by default), and Wasserstein-1 on the raw values, of `sample` against the reference.
 * @param referenceSorted the reference values, ascending (sorted once at fit).
 * @throws InvalidArgumentError on an empty side or a NaN/Inf value, naming the row.
 */
export function numericEffectSizes(
  referenceSorted: Float64Array,
  sample: ArrayLike<number>,
  options: NumericEffectSizeOptions = {},
): EffectSizes {
  const bins = options.bins ?? DEFAULT_EFFECT_SIZE_BINS;
  if (!Number.isInteger(bins) || bins < 2)
    throw new InvalidArgumentError(`bins: expected an integer >= 2, got ${bins}`);
  checkValues(referenceSorted, 'reference');
  checkValues(sample, 'sample');
  for (let t = 1; t < referenceSorted.length; t++) {
    if (referenceSorted[t]! < referenceSorted[t - 1]!) {
      throw new InvalidArgumentError(`reference, row ${t}: values must be sorted ascending`);
    }
  }
  const edges = quantileBinEdges(referenceSorted, bins);
  const p = binCounts(referenceSorted, edges);
  const q = binCounts(sample, edges);
  return {
    psi: populationStabilityIndex(p, q, options.epsilon ?? DEFAULT_PSI_EPSILON),
    jensenShannon: jensenShannonDistance(p, q),
    wasserstein: wassersteinDistance(referenceSorted, sample),
    hellinger: hellingerDistance(p, q),
  };
}

/**
 * PSI, Jensen-Shannon and Hellinger over the union of the categories of both maps. A category
 * unseen in the reference (or absent from the window) has proportion 0: PSI replaces it by
 * `epsilon` (default {@link DEFAULT_PSI_EPSILON}), Jensen-Shannon and Hellinger take it as is.
 * No Wasserstein: categories have no order.
 * @throws InvalidArgumentError on a negative or non-finite count, or an empty side.
 */
export function categoricalEffectSizes(
  reference: ReadonlyMap<string | number, number>,
  sample: ReadonlyMap<string | number, number>,
  options: { readonly epsilon?: number } = {},
): EffectSizes {
  const categories = [...new Set([...reference.keys(), ...sample.keys()])];
  const p = categories.map((c) => reference.get(c) ?? 0);
  const q = categories.map((c) => sample.get(c) ?? 0);
  for (const [counts, name] of [
    [p, 'reference'],
    [q, 'sample'],
  ] as const) {
    counts.forEach((count, k) => {
      if (!(Number.isFinite(count) && count >= 0)) {
        throw new InvalidArgumentError(
          `${name}, category "${String(categories[k])}": count ${count} must be finite and >= 0`,
        );
      }
    });
    if (counts.reduce((a, b) => a + b, 0) === 0)
      throw new InvalidArgumentError(`${name}: at least one count is required`);
  }
  return {
    psi: populationStabilityIndex(p, q, options.epsilon ?? DEFAULT_PSI_EPSILON),
    jensenShannon: jensenShannonDistance(p, q),
    hellinger: hellingerDistance(p, q),
  };
}

function checkValues(values: ArrayLike<number>, name: string): void {
  if (values.length === 0) throw new InvalidArgumentError(`${name}: at least one value is required`);
  for (let t = 0; t < values.length; t++) {
    if (!Number.isFinite(values[t]!))
      throw new InvalidArgumentError(`${name}, row ${t}: ${values[t]} is not allowed`);
  }
}
