/**
 * The integration rules of Integrated Gradients, as Alibi's (alibi/utils/approximation_methods.py,
 * itself Captum's): points `alphas` in [0, 1] along the straight path from the baseline to the
 * instance, and the weight of each (`stepSizes`, summing to 1 or less).
 */

/** The integration rule. */
export type IntegrationRule =
  | 'gauss-legendre'
  | 'riemann-left'
  | 'riemann-right'
  | 'riemann-middle'
  | 'riemann-trapezoid';

/** Where the integrand is evaluated and with what weight. */
export interface Quadrature {
  readonly alphas: Float64Array;
  readonly stepSizes: Float64Array;
}

/** The fewest steps each rule takes: Alibi's Riemann rules assert n > 1 (a one-point trapezoid is not a rule). */
export function minimumSteps(rule: IntegrationRule): number {
  return rule === 'gauss-legendre' ? 1 : 2;
}

/** The `steps` points and weights of `rule` on [0, 1]. */
export function quadrature(rule: IntegrationRule, steps: number): Quadrature {
  if (!Number.isInteger(steps) || steps < minimumSteps(rule)) {
    throw new RangeError(
      `${rule} needs an integer number of steps of at least ${minimumSteps(rule)}, got ${steps}`,
    );
  }
  if (rule === 'gauss-legendre') return gaussLegendre(steps);
  const alphas = new Float64Array(steps);
  const stepSizes = new Float64Array(steps).fill(1 / steps);
  for (let i = 0; i < steps; i++) {
    switch (rule) {
      case 'riemann-left':
        alphas[i] = i / steps; // linspace(0, 1 - 1/n, n)
        break;
      case 'riemann-right':
        alphas[i] = (i + 1) / steps; // linspace(1/n, 1, n)
        break;
      case 'riemann-middle':
        alphas[i] = (i + 0.5) / steps; // linspace(1/(2n), 1 - 1/(2n), n)
        break;
      case 'riemann-trapezoid':
        alphas[i] = i / (steps - 1); // linspace(0, 1, n)
        break;
    }
  }
  if (rule === 'riemann-trapezoid') {
    stepSizes[0] = stepSizes[0]! / 2;
    stepSizes[steps - 1] = stepSizes[steps - 1]! / 2;
  }
  return { alphas, stepSizes };
}

/** Gauss-Legendre rules computed so far, by step count (10,000 steps cost ~10^8 flops, so each is computed once). */
const gaussLegendreCache = new Map<number, Quadrature>();
const GAUSS_LEGENDRE_CACHE_SIZE = 16;

/**
 * Gauss-Legendre nodes and weights on [0, 1] (numpy's `leggauss(n)` scaled: alpha = (1 + x) / 2,
 * weight = w / 2), in increasing alpha. Each root of P_n is found by Newton's method from
 * Tricomi's estimate cos(π (i + 3/4) / (n + 1/2)), P_n and P_n' by the three-term recurrence;
 * the weight is 2 / ((1 - x²) P_n'(x)²). O(n²) in all.
 */
function gaussLegendre(steps: number): Quadrature {
  const cached = gaussLegendreCache.get(steps);
  if (cached !== undefined) return cached;
  const alphas = new Float64Array(steps);
  const stepSizes = new Float64Array(steps);
  const half = Math.ceil(steps / 2);
  for (let i = 0; i < half; i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (steps + 0.5));
    let derivative = 0;
    for (let iteration = 0; iteration < 100; iteration++) {
      const [value, slope] = legendre(steps, x);
      derivative = slope;
      const dx = value / slope;
      x -= dx;
      if (Math.abs(dx) <= 1e-16 * Math.max(1, Math.abs(x))) break;
    }
    derivative = legendre(steps, x)[1];
    const weight = 2 / ((1 - x * x) * derivative * derivative);
    // x_i is the i-th largest root; -x_i is its mirror (the middle root of an odd n is 0).
    alphas[steps - 1 - i] = (1 + x) / 2;
    stepSizes[steps - 1 - i] = weight / 2;
    alphas[i] = (1 - x) / 2;
    stepSizes[i] = weight / 2;
  }
  const rule = { alphas, stepSizes };
  if (gaussLegendreCache.size >= GAUSS_LEGENDRE_CACHE_SIZE) {
    gaussLegendreCache.delete(gaussLegendreCache.keys().next().value as number);
  }
  gaussLegendreCache.set(steps, rule);
  return rule;
}

/** P_n(x) and P_n'(x) by Bonnet's recurrence. */
function legendre(n: number, x: number): [number, number] {
  let previous = 1;
  let current = x;
  if (n === 0) return [1, 0];
  for (let k = 2; k <= n; k++) {
    const next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
    previous = current;
    current = next;
  }
  const slope = (n * (x * current - previous)) / (x * x - 1);
  return [current, slope];
}
