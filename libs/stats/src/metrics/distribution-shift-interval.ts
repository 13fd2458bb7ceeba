/**
 * Percentile bootstrap intervals of a distribution shift (KL, Jensen-Shannon, PSI): both sides
 * are samples, so each resample draws the reference's and the window's counts anew from their
 * own observed proportions (multinomial, as many rows as each side had) and recomputes the three
 * values; the interval is the resampled values' alpha/2 and 1 - alpha/2 percentiles.
 *
 * What it means: the spread of the plug-in value under resampling. Each plug-in divergence is
 * biased upward (about (K - 1) / (2 n) per side for KL with K bins), and at no shift the value
 * sits on its boundary 0, where every resample is above it: there the interval excludes 0 and
 * does not say "no shift is ruled out". Read it as the value's sampling error where a shift is
 * clearly present (it covered the population KL, Jensen-Shannon distance and PSI in 378-380 of
 * 400 seeded window pairs at a KL of 0.065, 5 bins, 5,000 rows a side); the test of "no shift" is
 * a permutation test, not this.
 */
import { InvalidArgumentError } from '@sightline/errors';
import { percentile } from '../outlier/percentile.js';
import { type SeededRandom, seededRandom } from '../random/seeded-random.js';
import { type ConfidenceInterval, checkConfidence, DEFAULT_CONFIDENCE } from './confidence-intervals.js';
import { type DistributionShiftOptions, distributionShift } from './distribution-shift.js';

/** Resamples by default: 200 (the windows' F1 bootstrap's), enough for a 95% interval's ends to about +-0.2 standard error. */
export const DEFAULT_SHIFT_BOOTSTRAP_RESAMPLES = 200;
/** Most resamples. */
export const MAX_SHIFT_BOOTSTRAP_RESAMPLES = 10_000;

/** Options of {@link distributionShiftIntervals}. */
export interface ShiftIntervalOptions extends DistributionShiftOptions {
  readonly confidence?: number;
  /** Resamples (default {@link DEFAULT_SHIFT_BOOTSTRAP_RESAMPLES}). */
  readonly resamples?: number;
  /** Seed (default 0): the same counts give the same interval. */
  readonly seed?: number;
}

/** Intervals of a {@link distributionShift}'s values (method `bootstrap-percentile`). */
export interface DistributionShiftIntervals {
  readonly klDivergence: ConfidenceInterval;
  readonly jensenShannon: ConfidenceInterval;
  readonly psi: ConfidenceInterval;
}

/**
 * The percentile bootstrap intervals of the shift between two aligned count vectors (counts may
 * be fractional, as the windows' sketch-read bins are: each side resamples round(total) rows).
 * Cost: resamples x bins binomial draws (each O(1), or O(n p) below n p = 20).
 * @throws InvalidArgumentError on a bad count vector (as {@link distributionShift}), confidence or resample count.
 */
export function distributionShiftIntervals(
  reference: ArrayLike<number>,
  window: ArrayLike<number>,
  options: ShiftIntervalOptions = {},
): DistributionShiftIntervals {
  const confidence = options.confidence ?? DEFAULT_CONFIDENCE;
  checkConfidence(confidence);
  const resamples = options.resamples ?? DEFAULT_SHIFT_BOOTSTRAP_RESAMPLES;
  if (!(Number.isInteger(resamples) && resamples >= 1 && resamples <= MAX_SHIFT_BOOTSTRAP_RESAMPLES)) {
    throw new InvalidArgumentError(
      `resamples: expected an integer in [1, ${MAX_SHIFT_BOOTSTRAP_RESAMPLES}], got ${resamples}`,
    );
  }
  const shiftOptions = {
    ...(options.epsilon === undefined ? {} : { epsilon: options.epsilon }),
    ...(options.base === undefined ? {} : { base: options.base }),
  };
  distributionShift(reference, window, shiftOptions); // checks both sides
  const random = seededRandom(options.seed ?? 0);
  const kl: number[] = [];
  const js: number[] = [];
  const psi: number[] = [];
  const ref = proportionsAndRows(reference);
  const win = proportionsAndRows(window);
  for (let b = 0; b < resamples; b++) {
    const shift = distributionShift(
      multinomial(random, ref.rows, ref.proportions),
      multinomial(random, win.rows, win.proportions),
      shiftOptions,
    );
    kl.push(shift.klDivergence);
    js.push(shift.jensenShannon);
    psi.push(shift.psi);
  }
  const alpha = (1 - confidence) / 2;
  const interval = (values: number[]): ConfidenceInterval => ({
    low: percentile(values, 100 * alpha),
    high: percentile(values, 100 * (1 - alpha)),
    confidence,
    method: 'bootstrap-percentile',
  });
  return { klDivergence: interval(kl), jensenShannon: interval(js), psi: interval(psi) };
}

function proportionsAndRows(counts: ArrayLike<number>): { proportions: Float64Array; rows: number } {
  let total = 0;
  for (let k = 0; k < counts.length; k++) total += counts[k]!;
  return {
    proportions: Float64Array.from(counts as ArrayLike<number>, (c) => c / total),
    rows: Math.max(1, Math.round(total)),
  };
}

/** A multinomial draw of `n` rows over `p` by conditional binomials. */
function multinomial(random: SeededRandom, n: number, p: Float64Array): Float64Array {
  const out = new Float64Array(p.length);
  let left = n;
  let mass = 1;
  for (let k = 0; k < p.length - 1 && left > 0; k++) {
    const share = mass <= 0 ? 0 : Math.min(Math.max(p[k]! / mass, 0), 1);
    const drawn = binomial(random, left, share);
    out[k] = drawn;
    left -= drawn;
    mass -= p[k]!;
  }
  out[p.length - 1]! += left;
  return out;
}

/**
 * A binomial draw: by geometric waiting times (exact) while n min(p, 1 - p) < 20, else the
 * normal approximation with continuity correction (error in the percentiles far below the
 * bootstrap's own at that size).
 */
function binomial(random: SeededRandom, n: number, p: number): number {
  if (p <= 0) return 0;
  if (p >= 1) return n;
  const flip = p > 0.5;
  const q = flip ? 1 - p : p;
  let x: number;
  if (n * q < 20) {
    // Successes are the draws before the running geometric gaps pass n.
    const logMiss = Math.log1p(-q);
    x = 0;
    let position = 0;
    for (;;) {
      position += Math.floor(Math.log(1 - random.nextFloat()) / logMiss) + 1;
      if (position > n) break;
      x += 1;
    }
  } else {
    const mean = n * q;
    x = Math.round(mean + Math.sqrt(mean * (1 - q)) * random.nextNormal());
    x = Math.min(Math.max(x, 0), n);
  }
  return flip ? n - x : x;
}
