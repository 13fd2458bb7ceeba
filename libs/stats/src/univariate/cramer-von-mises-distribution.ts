/**
 * The null distributions behind `scipy.stats.cramervonmises_2samp`: the exact permutation
 * distribution of U for small samples (Xiao, Gordon & Yakovlev 2006, as scipy's
 * `_pval_cvm_2samp_exact`) and the limiting distribution of the one-sample statistic
 * (Csörgő & Faraway 1996, eq. 1.2, as scipy's `_cdf_cvm_inf`, with its 1e-7 series cut-off).
 */
import gammaln from '@stdlib/math-base-special-gammaln';
import { gcd } from './numeric-primitives.js';

/** scipy stops the series of the limiting CDF at the first term below this. */
const CVM_SERIES_TOLERANCE = 1e-7;
/** Integration cut: the integrand has fallen below e^-60 of its value at 0. */
const BESSEL_INTEGRAND_LOG_CUTOFF = 60;

/**
 * exp(-z) * K_nu(z), the scaled modified Bessel function of the second kind, by the trapezoid
 * rule on K_nu(z) = integral_0^inf exp(-z cosh t) cosh(nu t) dt. The integrand is analytic in a
 * strip, so the rule converges geometrically; the step follows the width 1/sqrt(z) near t = 0.
 */
export function scaledBesselK(nu: number, z: number): number {
  const h = Math.min(0.05, 0.25 / Math.sqrt(z));
  // Integrate exp(-z (cosh t - 1)) cosh(nu t), then apply exp(-2z) = exp(-z) * exp(-z).
  let sum = 0.5;
  for (let i = 1; ; i++) {
    const t = i * h;
    const logf = -z * (Math.cosh(t) - 1) + nu * t;
    if (logf < -BESSEL_INTEGRAND_LOG_CUTOFF) break;
    sum += Math.exp(-z * (Math.cosh(t) - 1)) * Math.cosh(nu * t);
  }
  return Math.exp(-2 * z) * sum * h;
}

/** The limiting CDF of the Cramér-von Mises statistic, as scipy's `_cdf_cvm_inf`. */
export function cvmLimitCdf(x: number): number {
  let total = 0;
  for (let k = 0; ; k++) {
    const u = Math.exp(gammaln(k + 0.5) - gammaln(k + 1)) / (Math.PI ** 1.5 * Math.sqrt(x));
    const y = 4 * k + 1;
    const q = y ** 2 / (16 * x);
    // scipy: u * sqrt(y) * exp(-q) * kv(1/4, q)
    const term = u * Math.sqrt(y) * scaledBesselK(0.25, q);
    total += term;
    if (!(Math.abs(term) >= CVM_SERIES_TOLERANCE)) break;
  }
  return total;
}

/** Python's float floor division `a // b` (b > 0), which rounds differently from floor(a / b). */
function pythonFloorDiv(a: number, b: number): number {
  const mod = a % b;
  let div = (a - mod) / b;
  if (mod !== 0 && mod < 0) div -= 1;
  let floordiv = Math.floor(div);
  if (div - floordiv > 0.5) floordiv += 1;
  return floordiv;
}

/** C(n, k) exactly for the small n the exact test allows (< 2^53). */
function combinations(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return Math.round(c);
}

/** One row cell of the frequency table: values ascending, with their frequencies. */
interface Frequencies {
  readonly values: Float64Array;
  readonly freqs: Float64Array;
}

const EMPTY: Frequencies = { values: new Float64Array(0), freqs: new Float64Array(0) };

/** Merges two ascending frequency lists (adding frequencies of equal values), then adds `shift`. */
function mergeShifted(p: Frequencies, q: Frequencies, shift: number): Frequencies {
  const values = new Float64Array(p.values.length + q.values.length);
  const freqs = new Float64Array(values.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < p.values.length || j < q.values.length) {
    const pv = i < p.values.length ? p.values[i]! : Number.POSITIVE_INFINITY;
    const qv = j < q.values.length ? q.values[j]! : Number.POSITIVE_INFINITY;
    if (pv < qv) {
      values[k] = pv + shift;
      freqs[k] = p.freqs[i++]!;
    } else if (qv < pv) {
      values[k] = qv + shift;
      freqs[k] = q.freqs[j++]!;
    } else {
      values[k] = pv + shift;
      freqs[k] = p.freqs[i++]! + q.freqs[j++]!;
    }
    k++;
  }
  return { values: values.subarray(0, k), freqs: freqs.subarray(0, k) };
}

/**
 * Pr(U >= u) under the null by enumerating the frequency table g+_{u,v} of Xiao et al.,
 * where u is the statistic of eq. 10 of Anderson (1962), for sample sizes m and n. The cells
 * are kept as sorted lists (scipy intersects arrays), so a merge is linear.
 */
export function cvmExactPValue(s: number, m: number, n: number): number {
  const lcm = (m / gcd(m, n)) * n;
  const a = lcm / m;
  const b = lcm / n;
  const mn = m * n;
  const zeta = pythonFloorDiv(lcm ** 2 * (m + n) * (6 * s - mn * (4 * mn - 1)), 6 * mn ** 2);
  let gs: Frequencies[] = [{ values: new Float64Array([0]), freqs: new Float64Array([1]) }];
  for (let v = 1; v <= m; v++) gs.push(EMPTY);
  for (let u = 0; u <= n; u++) {
    const next: Frequencies[] = [];
    let tmp = EMPTY;
    for (let v = 0; v <= m; v++) {
      tmp = mergeShifted(tmp, gs[v]!, (a * v - b * u) ** 2);
      next.push(tmp);
    }
    gs = next;
  }
  const last = gs[m]!;
  let count = 0;
  for (let i = 0; i < last.values.length; i++) {
    if (last.values[i]! >= zeta) count += last.freqs[i]!;
  }
  return count / combinations(m + n, m);
}
