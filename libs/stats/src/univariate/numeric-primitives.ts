/**
 * Small numeric primitives that numpy and Python's math module provide and JavaScript lacks,
 * with the same rounding, so the ported scipy code paths take the same branches.
 */

/**
 * numpy's `np.round`: round half to even. scipy rounds with it in the KS code paths, and a
 * half-way value (an effective sample size of 2.5) goes the other way under `Math.round`.
 */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) {
    return r - 1;
  }
  return r;
}

/** `math.ldexp(x, e)` without the overflow of `2 ** e` for |e| > 1023 when x compensates. */
export function ldexp(x: number, e: number): number {
  let result = x;
  let rest = e;
  while (rest > 1000) {
    result *= 2 ** 1000;
    rest -= 1000;
  }
  while (rest < -1000) {
    result *= 2 ** -1000;
    rest += 1000;
  }
  return result * 2 ** rest;
}

/** Euclid's greatest common divisor of two positive integers. */
export function gcd(a: number, b: number): number {
  let x = a;
  let y = b;
  while (y !== 0) {
    const t = x % y;
    x = y;
    y = t;
  }
  return x;
}
