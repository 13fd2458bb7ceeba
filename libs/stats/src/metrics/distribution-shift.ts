/**
 * Shift of a window's predictions against a reference window without labels: the predicted
 * class distribution, or numeric outputs binned at the reference's quantiles.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { DEFAULT_PSI_EPSILON, populationStabilityIndex } from '../effect-size/distribution-distances.js';
import { binCounts, DEFAULT_EFFECT_SIZE_BINS, quantileBinEdges } from '../effect-size/effect-sizes.js';

/** How far a window's distribution is from the reference's. */
export interface DistributionShift {
  /**
   * KL(reference || window) = sum p ln(p / q) in `base`, after every empty proportion is
   * replaced by `epsilon` and both sides renormalised: `scipy.stats.entropy(p_eps, q_eps, base)`
   * (Evidently's `kl_div` direction and epsilon), so an unseen bin is finite.
   */
  readonly klDivergence: number;
  /** `scipy.spatial.distance.jensenshannon(p, q, base)`: no epsilon; in [0, sqrt(ln 2)] in base e, [0, 1] in base 2. */
  readonly jensenShannon: number;
  /** PSI sum (q - p) ln(q / p), empty proportions replaced by `epsilon` (not renormalised; see {@link populationStabilityIndex}). */
  readonly psi: number;
}

/** Options of the distribution-shift functions. */
export interface DistributionShiftOptions {
  /** Proportion put in place of an empty bin for KL and PSI (default {@link DEFAULT_PSI_EPSILON}, 1e-4). */
  readonly epsilon?: number;
  /** Logarithm base of KL and Jensen-Shannon (default e, scipy's default); PSI is always natural. */
  readonly base?: number;
}

/**
 * KL, Jensen-Shannon and PSI between aligned non-negative counts (or proportions).
 * @throws InvalidArgumentError on different lengths, a negative or non-finite count, an empty side, a bad base or epsilon.
 */
export function distributionShift(
  reference: ArrayLike<number>,
  window: ArrayLike<number>,
  options: DistributionShiftOptions = {},
): DistributionShift {
  const epsilon = options.epsilon ?? DEFAULT_PSI_EPSILON;
  const base = options.base ?? Math.E;
  if (!(epsilon > 0 && epsilon < 1))
    throw new InvalidArgumentError(`epsilon: expected a value in (0, 1), got ${epsilon}`);
  if (!(base > 0 && base !== 1 && Number.isFinite(base))) {
    throw new InvalidArgumentError(`base: expected a positive logarithm base other than 1, got ${base}`);
  }
  if (window.length !== reference.length) {
    throw new InvalidArgumentError(
      `window: expected ${reference.length} bins (as the reference), got ${window.length}`,
    );
  }
  const p = proportions(reference, 'reference');
  const q = proportions(window, 'window');
  const logBase = Math.log(base);
  const pe = renormalised(p.map((v) => (v === 0 ? epsilon : v)));
  const qe = renormalised(q.map((v) => (v === 0 ? epsilon : v)));
  let kl = 0;
  for (let k = 0; k < pe.length; k++) kl += pe[k]! * Math.log(pe[k]! / qe[k]!);
  let js = 0;
  for (let k = 0; k < p.length; k++) {
    const m = (p[k]! + q[k]!) / 2;
    if (p[k]! > 0) js += p[k]! * Math.log(p[k]! / m);
    if (q[k]! > 0) js += q[k]! * Math.log(q[k]! / m);
  }
  return {
    klDivergence: kl / logBase,
    jensenShannon: Math.sqrt(Math.max(js / logBase / 2, 0)),
    psi: populationStabilityIndex(p, q, epsilon),
  };
}

/**
 * Shift of the predicted class distribution: counts per class (any label type) over the union
 * of both windows' classes, a class absent from one side having count 0.
 */
export function classDistributionShift(
  reference: ReadonlyMap<string | number, number>,
  window: ReadonlyMap<string | number, number>,
  options: DistributionShiftOptions = {},
): DistributionShift {
  const classes = [...new Set([...reference.keys(), ...window.keys()])];
  return distributionShift(
    classes.map((c) => reference.get(c) ?? 0),
    classes.map((c) => window.get(c) ?? 0),
    options,
  );
}

/** Options of {@link outputDistributionShift}. */
export interface OutputShiftOptions extends DistributionShiftOptions {
  /** Quantile bins of the reference (default {@link DEFAULT_EFFECT_SIZE_BINS}, deciles). */
  readonly bins?: number;
}

/**
 * Shift of numeric outputs: bins at the reference's quantiles k / bins ({@link quantileBinEdges}:
 * numpy's linear quantile, repeated edges dropped, open outer bins; bin k holds edges[k-1] <= v <
 * edges[k]), then {@link distributionShift} over the bin counts. Returns the edges so a window
 * accumulator can count into the same bins ({@link binCounts}).
 * @param referenceSorted the reference outputs ascending (sorted once).
 * @throws InvalidArgumentError on an empty side, a non-finite value or an unsorted reference.
 */
export function outputDistributionShift(
  referenceSorted: Float64Array,
  window: ArrayLike<number>,
  options: OutputShiftOptions = {},
): DistributionShift & { readonly edges: Float64Array } {
  const bins = options.bins ?? DEFAULT_EFFECT_SIZE_BINS;
  if (!(Number.isInteger(bins) && bins >= 2))
    throw new InvalidArgumentError(`bins: expected an integer >= 2, got ${bins}`);
  for (const [values, name] of [
    [referenceSorted, 'reference'],
    [window, 'window'],
  ] as const) {
    if (values.length === 0) throw new InvalidArgumentError(`${name}: at least one value is required`);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!))
        throw new InvalidArgumentError(`${name}[${i}]: ${values[i]} is not a finite number`);
      if (name === 'reference' && i > 0 && values[i]! < values[i - 1]!) {
        throw new InvalidArgumentError(`reference[${i}]: values must be sorted ascending`);
      }
    }
  }
  const edges = quantileBinEdges(referenceSorted, bins);
  return {
    ...distributionShift(binCounts(referenceSorted, edges), binCounts(window, edges), options),
    edges,
  };
}

function proportions(counts: ArrayLike<number>, name: string): number[] {
  let total = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k]!;
    if (!(Number.isFinite(c) && c >= 0))
      throw new InvalidArgumentError(`${name}[${k}]: count ${c} must be finite and >= 0`);
    total += c;
  }
  if (total === 0) throw new InvalidArgumentError(`${name}: at least one count is required`);
  return Array.from(counts, (c) => c / total);
}

function renormalised(values: number[]): number[] {
  const total = values.reduce((a, b) => a + b, 0);
  return values.map((v) => v / total);
}
