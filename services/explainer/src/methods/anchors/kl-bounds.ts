/**
 * The KL-LUCB confidence bounds of a Bernoulli mean (Kaufmann & Kalyanakrishnan 2013), as
 * Alibi's anchor_base computes them: the bound q with KL(p ‖ q) = level, level = β / n, found
 * by 16 bisection steps. Alibi's clipping and step count are kept so the search takes the
 * same decisions as Alibi's on the same counts.
 */

/** Alibi's bisection steps (`n_iter=17`, a range from 1): the bound is within 2^-16 of its start interval. */
export const KL_BISECTION_STEPS = 16;

const KL_CLIP_LOW = 0.0000001;
const KL_CLIP_HIGH = 0.9999999999999999;

/** KL divergence of Bernoulli(q) from Bernoulli(p), both clipped away from 0 and 1 (Alibi's kl_bernoulli). */
export function klBernoulli(p: number, q: number): number {
  const m = Math.min(Math.max(p, KL_CLIP_LOW), KL_CLIP_HIGH);
  const n = Math.min(Math.max(q, KL_CLIP_LOW), KL_CLIP_HIGH);
  return m * Math.log(m / n) + (1 - m) * Math.log((1 - m) / (1 - n));
}

/** The largest q ≥ p with KL(p ‖ q) ≤ level, to 2^-16 of √(level/2) (Alibi's dup_bernoulli). */
export function klUpperBound(p: number, level: number): number {
  let low = p;
  let high = Math.min(p + Math.sqrt(level / 2), 1);
  for (let step = 0; step < KL_BISECTION_STEPS; step++) {
    const middle = (high + low) / 2;
    if (klBernoulli(p, middle) > level) high = middle;
    else low = middle;
  }
  return high;
}

/** The smallest q ≤ p with KL(p ‖ q) ≤ level, to 2^-16 of √(level/2) (Alibi's dlow_bernoulli). */
export function klLowerBound(p: number, level: number): number {
  let high = p;
  let low = Math.min(Math.max(p - Math.sqrt(level / 2), 0), 1);
  for (let step = 0; step < KL_BISECTION_STEPS; step++) {
    const middle = (high + low) / 2;
    if (klBernoulli(p, middle) > level) low = middle;
    else high = middle;
  }
  return low;
}

/**
 * KL-LUCB's exploration rate β(arms, t, δ) = log(k · arms · t^α / δ) + log log(...), with the
 * paper's α = 1.1 and k = 405.5 (its Theorem 1 and numerical experiments; Alibi's compute_beta).
 */
export function klLucbBeta(arms: number, round: number, delta: number): number {
  const temp = Math.log((405.5 * arms * round ** 1.1) / delta);
  return temp + Math.log(temp);
}
