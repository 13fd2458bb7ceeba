/**
 * Distances between two discrete distributions given as aligned non-negative weights (counts
 * or proportions; each side is normalised to sum 1 first). Bins empty on both sides add 0.
 */

/**
 * Proportion put in place of an empty bin before PSI takes logarithms: 0.0001, the value
 * Evidently's PSI uses (`np.where(p == 0, 0.0001, p)`), so an unseen bin counts as rare
 * rather than making PSI infinite.
 */
export const DEFAULT_PSI_EPSILON = 1e-4;

/**
 * Population stability index sum_k (q_k - p_k) ln(q_k / p_k), p the reference proportions,
 * q the sample's, with empty-bin proportions replaced by `epsilon` ({@link DEFAULT_PSI_EPSILON}).
 * Usual reading: < 0.1 no change, 0.1-0.2 moderate, > 0.2 significant.
 */
export function populationStabilityIndex(
  reference: ArrayLike<number>,
  sample: ArrayLike<number>,
  epsilon: number = DEFAULT_PSI_EPSILON,
): number {
  const p = normalise(reference);
  const q = normalise(sample);
  let psi = 0;
  for (let k = 0; k < p.length; k++) {
    const a = p[k]! === 0 ? epsilon : p[k]!;
    const b = q[k]! === 0 ? epsilon : q[k]!;
    psi += (b - a) * Math.log(b / a);
  }
  return psi;
}

/**
 * Jensen-Shannon distance sqrt((KL(p||m) + KL(q||m)) / 2), m = (p + q) / 2, natural
 * logarithm: scipy.spatial.distance.jensenshannon(p, q) with its default base e; in [0, sqrt(ln 2)].
 */
export function jensenShannonDistance(reference: ArrayLike<number>, sample: ArrayLike<number>): number {
  const p = normalise(reference);
  const q = normalise(sample);
  let divergence = 0;
  for (let k = 0; k < p.length; k++) {
    const m = (p[k]! + q[k]!) / 2;
    if (p[k]! > 0) divergence += p[k]! * Math.log(p[k]! / m);
    if (q[k]! > 0) divergence += q[k]! * Math.log(q[k]! / m);
  }
  return Math.sqrt(Math.max(divergence / 2, 0));
}

/** Hellinger distance sqrt(1 - sum_k sqrt(p_k q_k)), in [0, 1]. */
export function hellingerDistance(reference: ArrayLike<number>, sample: ArrayLike<number>): number {
  const p = normalise(reference);
  const q = normalise(sample);
  let bhattacharyya = 0;
  for (let k = 0; k < p.length; k++) bhattacharyya += Math.sqrt(p[k]! * q[k]!);
  return Math.sqrt(Math.max(1 - bhattacharyya, 0));
}

function normalise(weights: ArrayLike<number>): Float64Array {
  let total = 0;
  for (let k = 0; k < weights.length; k++) total += weights[k]!;
  const out = new Float64Array(weights.length);
  if (total > 0) for (let k = 0; k < weights.length; k++) out[k] = weights[k]! / total;
  return out;
}
