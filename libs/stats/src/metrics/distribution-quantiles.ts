/**
 * Quantiles of the standard normal and Student's t distributions for the confidence intervals
 * (scipy's `ndtri` to 1e-12 and `t.ppf` to 1e-11 relative in the tests).
 */
import { InvalidArgumentError } from '@sightline/errors';
import betainc from '@stdlib/math-base-special-betainc';
import gammainc from '@stdlib/math-base-special-gammainc';

/** Halley steps after Acklam's approximation (relative error 1.15e-9): two reach double precision, one more is insurance. */
const NORMAL_REFINEMENT_STEPS = 3;
/** Bisection steps for the t quantile: the bracket shrinks by 2^-200, past double precision from any start. */
const T_BISECTION_STEPS = 200;

const A = [
  -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
  2.506628277459239,
];
const B = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
const C = [
  -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Standard normal CDF, 0.5 erfc(-x / sqrt 2), erfc from the regularised upper incomplete gamma Q(1/2, y²). */
export function normalCdf(x: number): number {
  const y = x / Math.SQRT2;
  const tail = 0.5 * gammainc(y * y, 0.5, true, true);
  return x < 0 ? tail : 1 - tail;
}

/**
 * The p-quantile of the standard normal distribution (scipy's `ndtri`): Acklam's rational
 * approximation refined by Halley's method on the CDF.
 * @throws InvalidArgumentError unless 0 < p < 1.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new InvalidArgumentError(`normal quantile: p must be in (0, 1), got ${p}`);
  if (p > 0.5) return -normalQuantile(1 - p);
  let x: number;
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    x =
      (((((C[0]! * q + C[1]!) * q + C[2]!) * q + C[3]!) * q + C[4]!) * q + C[5]!) /
      ((((D[0]! * q + D[1]!) * q + D[2]!) * q + D[3]!) * q + 1);
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0]! * r + A[1]!) * r + A[2]!) * r + A[3]!) * r + A[4]!) * r + A[5]!) * q) /
      (((((B[0]! * r + B[1]!) * r + B[2]!) * r + B[3]!) * r + B[4]!) * r + 1);
  }
  for (let step = 0; step < NORMAL_REFINEMENT_STEPS; step++) {
    // Lower tail (x <= 0): the CDF is the small erfc term, computed without cancellation.
    const e = 0.5 * gammainc((x * x) / 2, 0.5, true, true) - p;
    const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
    x -= u / (1 + (x * u) / 2);
  }
  return x;
}

/** Upper tail P(T > t) of Student's t with `dof` degrees of freedom, t >= 0: I_{dof/(dof+t²)}(dof/2, 1/2) / 2. */
function tUpperTail(t: number, dof: number): number {
  return 0.5 * betainc(dof / (dof + t * t), dof / 2, 0.5, true, false);
}

/**
 * The p-quantile of Student's t distribution with `dof` > 0 degrees of freedom (scipy's
 * `t.ppf`), by bisection on the upper tail.
 * @throws InvalidArgumentError unless 0 < p < 1 and dof > 0.
 */
export function studentTQuantile(p: number, dof: number): number {
  if (!(p > 0 && p < 1)) throw new InvalidArgumentError(`t quantile: p must be in (0, 1), got ${p}`);
  if (!(dof > 0)) throw new InvalidArgumentError(`t quantile: degrees of freedom must be > 0, got ${dof}`);
  if (p === 0.5) return 0;
  const tail = p > 0.5 ? 1 - p : p;
  let low = 0;
  let high = 1;
  while (tUpperTail(high, dof) > tail) high *= 2;
  for (let step = 0; step < T_BISECTION_STEPS && high - low > 0; step++) {
    const mid = (low + high) / 2;
    if (mid === low || mid === high) break;
    if (tUpperTail(mid, dof) > tail) low = mid;
    else high = mid;
  }
  const t = (low + high) / 2;
  return p > 0.5 ? t : -t;
}
