/**
 * The survival function of the one-sided one-sample KS statistic D+_n, `scipy.special.smirnov`
 * (cephes `_smirnov`, van Mulbregt's algorithm). scipy sums the Birnbaum-Tingey series in
 * double-double arithmetic; here each (positive) term is computed in log space from an exact
 * split of n*x, which keeps the relative error near 1e-13 for the n this library meets.
 *
 * Only the lower sum is implemented: the upper sum is chosen by cephes only for x below about
 * 1/sqrt(n) with at most three terms, a region the two-sided distribution never sends here
 * (it calls this for n*x^2 >= 2.2, or x >= 0.5).
 */

/** cephes' MINLOG: exp() of less underflows. */
const MIN_LOG = -745.1332191019412;
/** Above this n cephes uses an approximation instead of the series. */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;
const EPSILON = Number.EPSILON;
/** Veltkamp's splitter for doubles (2^27 + 1). */
const SPLITTER = 134217729;

/** n*x as an unevaluated sum hi + lo (Dekker's exact product). */
function exactProduct(a: number, b: number): [number, number] {
  const hi = a * b;
  let t = SPLITTER * a;
  const aHi = t - (t - a);
  const aLo = a - aHi;
  t = SPLITTER * b;
  const bHi = t - (t - b);
  const bLo = b - bHi;
  const lo = aHi * bHi - hi + aHi * bLo + aLo * bHi + aLo * bLo;
  return [hi, lo];
}

/** Pr(D+_n > x), as `scipy.special.smirnov(n, x)`. */
export function smirnovSf(n: number, x: number): number {
  if (!(n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;
  const [nxHi, nxLo] = exactProduct(n, x);
  let nxfl = Math.floor(nxHi);
  let alpha = nxHi - nxfl + nxLo;
  if (alpha < 0) {
    nxfl -= 1;
    alpha += 1;
  }
  if (alpha >= 1) {
    nxfl += 1;
    alpha -= 1;
  }
  let n1mxfl = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) n1mxfl -= 1;
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    return 1 - x * (1 + x) ** (n - 1);
  }
  if (-2 * n * x * x < MIN_LOG) return 0;
  if (nxfl >= n - 1) return (1 - x) ** n;
  if (n > SMIRNOV_MAX_COMPUTE_N) {
    const logp = -((6 * n * x + 1) ** 2) / 18 / n;
    return logp < -Math.LN2 ? Math.exp(logp) : 1 + Math.expm1(logp);
  }
  const nTerms = n1mxfl + 1;
  const vmid = Math.floor(n / 2);
  // A_v = C(n, v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v); sf = x * sum_v A_v, all terms positive.
  let sum = 0;
  let compensation = 0;
  let logBinom = 0;
  for (let v = 0; v < nTerms; v++) {
    const t1x = (nxHi + v + nxLo) / n;
    const logT2 = t1x < 0.5 ? Math.log1p(-t1x) : Math.log((n - v - nxHi - nxLo) / n);
    const logA = logBinom + (v - 1) * Math.log(t1x) + (n - v) * logT2;
    const a = Math.exp(logA);
    const next = sum + a;
    compensation += Math.abs(sum) >= Math.abs(a) ? sum - next + a : a - next + sum;
    sum = next;
    if (a !== 0) {
      if (4 * (nTerms - v) * a < EPSILON * sum && v !== nTerms - 1 && v > 0) break;
    } else if (v > vmid) {
      break;
    }
    logBinom += Math.log((n - v) / (v + 1));
  }
  const sf = x * (sum + compensation);
  return sf < 0 ? 0 : Math.min(sf, 1);
}
