import gamma from '@stdlib/math-base-special-gamma';
import gammaln from '@stdlib/math-base-special-gammaln';

/** cephes' MAXGAM: above it Gamma overflows and beta() switches to log-gamma. */
const MAX_GAMMA_ARGUMENT = 171.6243769563027;
/** cephes' MAXLOG: exp() of more overflows. */
const MAX_LOG = 709.782712893384;
/** Below this k, scipy multiplies the binomial out term by term (exact for integers). */
const BINOM_PRODUCT_MAX_K = 20;

/**
 * cephes `beta(a, b)` for the positive arguments the binomial passes: Gamma ratios while they
 * fit a double, log-gamma beyond (Infinity when the result overflows, as cephes returns).
 */
function beta(aIn: number, bIn: number): number {
  const a = Math.max(aIn, bIn);
  const b = Math.min(aIn, bIn);
  const sum = a + b;
  if (sum > MAX_GAMMA_ARGUMENT || a > MAX_GAMMA_ARGUMENT) {
    const y = gammaln(a) + (gammaln(b) - gammaln(sum));
    if (y > MAX_LOG) {
      return Number.POSITIVE_INFINITY;
    }
    return Math.exp(y);
  }
  const gs = gamma(sum);
  const ga = gamma(a);
  const gb = gamma(b);
  if (gs === 0) {
    return Number.POSITIVE_INFINITY;
  }
  // cephes divides by the Gamma closer in size first, to keep the intermediate in range.
  if (Math.abs(Math.abs(ga) - Math.abs(gs)) > Math.abs(Math.abs(gb) - Math.abs(gs))) {
    return (gb / gs) * ga;
  }
  return (ga / gs) * gb;
}

/**
 * `scipy.special.binom(n, k)` for non-negative integers, reproduced rather than computed
 * exactly: the exact-KS path subtracts binomials, so it must round as scipy rounds.
 */
export function scipyBinom(n: number, k: number): number {
  let kx = k;
  if (kx > n / 2 && n > 0) {
    kx = n - kx;
  }
  if (kx >= 0 && kx < BINOM_PRODUCT_MAX_K) {
    let num = 1;
    let den = 1;
    for (let i = 1; i < 1 + kx; i++) {
      num *= i + n - kx;
      den *= i;
      if (Math.abs(num) > 1e50) {
        num /= den;
        den = 1;
      }
    }
    return num / den;
  }
  if (kx < 0) {
    return 0;
  }
  return 1 / (n + 1) / beta(1 + n - k, 1 + k);
}
