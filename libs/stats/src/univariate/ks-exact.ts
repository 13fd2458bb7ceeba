/**
 * Exact two-sample Kolmogorov-Smirnov p-values, ported from scipy 1.17's `_stats_py`
 * (`_compute_prob_outside_square`, `_count_paths_outside_method`, `_attempt_exact_2kssamp`)
 * and `_stats_pythran._compute_outer_prob_inside_method` (Hodges 1958; Viehmann 2021 for the
 * complement recursion). The lattice-path counts are scipy's, step for step, so the p-values
 * round as scipy's do.
 */

import { roundHalfEven } from './numeric-primitives.js';
import { scipyBinom } from './scipy-binom.js';
import type { Alternative } from './two-sample-result.js';

/** What `_attempt_exact_2kssamp` returns: the statistic snapped to the lattice, and the p-value. */
export interface ExactKsAttempt {
  /** False where scipy's floating-point checks fail (the caller then uses asymp). */
  readonly success: boolean;
  /** The statistic snapped to the lattice, h / lcm(n1, n2). */
  readonly d: number;
  /** The exact p-value (NaN or out of range when `success` is false). */
  readonly pValue: number;
}

/** Pr(D_{n,n} >= h/n), two-sided, by Hodges' alternating sum in Horner form. */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  let k = Math.floor(n / h);
  while (k >= 0) {
    let p1 = 1;
    for (let j = 0; j < h; j++) {
      p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    }
    P = p1 * (1 - P);
    k -= 1;
  }
  return 2 * P;
}

/**
 * The proportion of lattice paths from (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm,
 * computed directly (not as 1 - inside) with one sliding column.
 */
function outerProbInsideMethod(mIn: number, nIn: number, g: number, h: number): number {
  const m = Math.max(mIn, nIn);
  const n = Math.min(mIn, nIn);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  // One column of at most n + 1 doubles per call; the O(m * band) loop below dwarfs it.
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.max(Math.floor((ng * i - h) / mg) + 1, 0);
    minj = Math.min(minj, n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    const shift = minj - lastminj;
    const width = maxj - minj;
    for (let jj = 0; jj < width; jj++) {
      const j = jj + minj;
      // scipy's (A*i + val*j)/(i+j), as a convex combination: the division no longer sits on
      // the loop-carried chain through val (about 2.5x faster; differs by an ulp per step).
      const r = 1 / (i + j);
      val = A[jj + shift]! * (i * r) + val * (j * r);
      A[jj] = val;
    }
    curlen = width;
    if (lastlen > curlen) {
      A.fill(1, width, Math.min(width + (lastlen - curlen), lenA));
    }
  }
  return A[maxj - minj - 1]!;
}

/**
 * The number of lattice paths that cross the one-sided boundary. scipy runs this under
 * `np.errstate(over='raise', invalid='raise')`, so the first overflow ends the attempt: here the
 * first non-finite intermediate returns Infinity, which the caller reports as a failure.
 */
function countPathsOutside(mIn: number, nIn: number, g: number, h: number): number {
  const m = Math.max(mIn, nIn);
  const n = Math.min(mIn, nIn);
  const mg = m / g;
  const ng = n / g;
  const lxj = n + Math.floor((mg - h) / mg);
  if (lxj === 0) return scipyBinom(m + n, n);
  const xj = new Float64Array(lxj);
  for (let j = 0; j < lxj; j++) xj[j] = Math.floor((h + mg * j + ng - 1) / ng);
  const B = new Float64Array(lxj);
  B[0] = 1;
  // The inner binomial depends on (x_j - x_i, j - i) only, and x_j - x_i takes at most two
  // values per j - i: memoised, the O(n^2) loop computes O(n) binomials (the same values).
  const memo = new Map<number, number>();
  const stride = m + n + 1;
  for (let j = 1; j < lxj; j++) {
    let Bj = scipyBinom(xj[j]! + j, j);
    for (let i = 0; i < j; i++) {
      const dj = j - i;
      const top = xj[j]! - xj[i]! + dj;
      const key = top * stride + dj;
      let bin = memo.get(key);
      if (bin === undefined) {
        bin = scipyBinom(top, dj);
        memo.set(key, bin);
      }
      Bj -= bin * B[i]!;
    }
    if (!Number.isFinite(Bj)) return Number.POSITIVE_INFINITY;
    B[j] = Bj;
  }
  let numPaths = 0;
  for (let j = 0; j < lxj; j++) {
    numPaths += B[j]! * scipyBinom(m - xj[j]! + (n - j), n - j);
    if (!Number.isFinite(numPaths)) return Number.POSITIVE_INFINITY;
  }
  return numPaths;
}

/**
 * scipy's `_attempt_exact_2kssamp`: snaps d to the lattice h/lcm and computes the exact
 * p-value; `success` is false where scipy's floating-point checks fail (it then falls back to
 * the asymptotic p-value, keeping the snapped d).
 */
export function attemptExactKs(
  n1: number,
  n2: number,
  g: number,
  dIn: number,
  alternative: Alternative,
): ExactKsAttempt {
  const lcm = (n1 / g) * n2;
  const h = roundHalfEven(dIn * lcm);
  const d = h / lcm;
  if (h === 0) return { success: true, d, pValue: 1 };
  let prob: number;
  if (alternative === 'two-sided') {
    prob = n1 === n2 ? probOutsideSquare(n1, h) : outerProbInsideMethod(n1, n2, g, h);
  } else if (n1 === n2) {
    prob = 1;
    for (let j = 0; j < h; j++) prob *= (n1 - j) / (n1 + j + 1);
  } else {
    const numPaths = countPathsOutside(n1, n2, g, h);
    const bin = scipyBinom(n1 + n2, n1);
    if (!Number.isFinite(numPaths) || !Number.isFinite(bin) || numPaths > bin) {
      return { success: false, d, pValue: Number.NaN };
    }
    prob = numPaths / bin;
  }
  if (!Number.isFinite(prob) || !(prob >= 0 && prob <= 1)) {
    return { success: false, d, pValue: prob };
  }
  return { success: true, d, pValue: prob };
}
