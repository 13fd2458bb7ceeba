import { choleskyLower } from './weighted-least-squares.js';

/** What {@link larsPath} computes. */
export interface LarsPath {
  /** alpha (max |correlation| / n) at each step; alphas[0] is where the first feature enters. */
  readonly alphas: Float64Array;
  /** The coefficients after each step, cols each: coefs[0] is all zeros. */
  readonly coefs: readonly Float64Array[];
  /** The active features at the end, in the order they entered. */
  readonly active: readonly number[];
}

/** float32's machine epsilon and smallest normal, which scikit-learn's lars_path uses as tolerances. */
const FLOAT32_EPS = 2 ** -23;
const FLOAT32_TINY = 2 ** -126;

/**
 * The least-angle regression path (Efron et al. 2004), as scikit-learn's `lars_path` computes it
 * from the Gram matrix (its choice whenever rows > columns): `method: 'lar'` adds one feature per
 * step; `'lasso'` also drops a feature whose coefficient would cross zero (the Lasso path), and
 * stops early when alpha grows. No intercept, no scaling: centre and scale first when wanted.
 *
 * @param design rows × cols, row-major.
 */
export function larsPath(
  design: Float64Array,
  rows: number,
  cols: number,
  target: Float64Array,
  options: { readonly method: 'lar' | 'lasso'; readonly maxIter?: number },
): LarsPath {
  const { gram, correlation } = gramAndCorrelation(design, rows, cols, target);
  return larsPathFromGram(gram, correlation, rows, cols, options);
}

/** XᵀX (cols × cols, row-major) and Xᵀy. */
export function gramAndCorrelation(
  design: Float64Array,
  rows: number,
  cols: number,
  target: Float64Array,
): { gram: Float64Array; correlation: Float64Array } {
  const gram = new Float64Array(cols * cols);
  const correlation = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const base = i * cols;
    for (let a = 0; a < cols; a++) {
      const xa = design[base + a]!;
      if (xa === 0) continue;
      correlation[a]! += xa * target[i]!;
      for (let b = 0; b <= a; b++) gram[a * cols + b]! += xa * design[base + b]!;
    }
  }
  for (let a = 0; a < cols; a++) for (let b = 0; b < a; b++) gram[b * cols + a] = gram[a * cols + b]!;
  return { gram, correlation };
}

/**
 * {@link larsPath} from XᵀX and Xᵀy (`rows` is n, for alpha = C / n). Each step refactors the
 * active Gram block (O(k³)), so a path over hundreds of features takes seconds.
 */
export function larsPathFromGram(
  gram: Float64Array,
  xty: Float64Array,
  rows: number,
  cols: number,
  options: { readonly method: 'lar' | 'lasso'; readonly maxIter?: number },
): LarsPath {
  const correlation = Float64Array.from(xty);
  const initialCorrelation = Float64Array.from(correlation);

  const maxIter = options.maxIter ?? 500;
  const alphas: number[] = [];
  const coefs: Float64Array[] = [];
  const active: number[] = [];
  const signs: number[] = [];
  const isActive = new Uint8Array(cols);
  let coef = new Float64Array(cols);
  let drop = false;
  let iteration = 0;
  for (;;) {
    // C: the largest |correlation| among the inactive features (after a drop, the dropped one's).
    let bestIndex = -1;
    let best = 0;
    for (let j = 0; j < cols; j++) {
      if (isActive[j]) continue;
      if (bestIndex < 0 || Math.abs(correlation[j]!) > best) {
        bestIndex = j;
        best = Math.abs(correlation[j]!);
      }
    }
    const c = bestIndex < 0 ? 0 : best;
    const alpha = c / rows;
    alphas[iteration] = alpha;
    coefs[iteration] = coef;
    if (alpha <= FLOAT32_EPS) break;
    if (iteration >= maxIter || active.length >= cols) break;
    if (!drop) {
      active.push(bestIndex);
      signs.push(Math.sign(correlation[bestIndex]!));
      isActive[bestIndex] = 1;
    }
    if (options.method === 'lasso' && iteration > 0 && alphas[iteration - 1]! < alpha) break;

    // The equiangular direction: w = A · G_AA⁻¹ s, A = (sᵀ G_AA⁻¹ s)^(-1/2).
    const k = active.length;
    const gramActive = new Float64Array(k * k);
    for (let a = 0; a < k; a++)
      for (let b = 0; b < k; b++) gramActive[a * k + b] = gram[active[a]! * cols + active[b]!]!;
    const factor = choleskyLower(gramActive, k);
    if (factor === undefined) break;
    const direction = solveCholesky(factor, k, Float64Array.from(signs));
    let norm = 0;
    for (let a = 0; a < k; a++) norm += direction[a]! * signs[a]!;
    const scale = 1 / Math.sqrt(norm);
    for (let a = 0; a < k; a++) direction[a]! *= scale;

    // How far to go: until an inactive feature's correlation catches up, or (lasso) an active
    // coefficient reaches zero.
    const along = new Float64Array(cols);
    let gamma = c / scale;
    for (let j = 0; j < cols; j++) {
      if (isActive[j]) continue;
      let a = 0;
      for (let t = 0; t < k; t++) a += gram[active[t]! * cols + j]! * direction[t]!;
      along[j] = a;
      const g1 = (c - correlation[j]!) / (scale - a + FLOAT32_TINY);
      const g2 = (c + correlation[j]!) / (scale + a + FLOAT32_TINY);
      if (g1 > 0 && g1 < gamma) gamma = g1;
      if (g2 > 0 && g2 < gamma) gamma = g2;
    }
    drop = false;
    const crossing: number[] = [];
    let zeroAt = Number.POSITIVE_INFINITY;
    for (let t = 0; t < k; t++) {
      const z = -coef[active[t]!]! / (direction[t]! + FLOAT32_TINY);
      if (z > 0 && z < zeroAt) zeroAt = z;
    }
    if (zeroAt < gamma) {
      for (let t = 0; t < k; t++) {
        if (-coef[active[t]!]! / (direction[t]! + FLOAT32_TINY) === zeroAt) crossing.push(t);
      }
      if (options.method === 'lasso') gamma = zeroAt;
      drop = true;
    }
    iteration += 1;
    const next = new Float64Array(cols);
    for (let t = 0; t < k; t++) next[active[t]!] = coef[active[t]!]! + gamma * direction[t]!;
    for (let j = 0; j < cols; j++) if (!isActive[j]) correlation[j]! -= gamma * along[j]!;
    coef = next;
    if (drop && options.method === 'lasso') {
      for (const t of crossing.sort((a, b) => b - a)) {
        const feature = active[t]!;
        active.splice(t, 1);
        signs.splice(t, 1);
        isActive[feature] = 0;
        // Its correlation with the residual, recomputed from the start.
        let r = initialCorrelation[feature]!;
        for (let j = 0; j < cols; j++) r -= gram[feature * cols + j]! * coef[j]!;
        correlation[feature] = r;
      }
    }
    // As scikit-learn: under 'lar' a crossing only keeps the next step from adding a feature.
  }
  return { alphas: Float64Array.from(alphas), coefs, active };
}

/** Solves (L Lᵀ) x = b. */
function solveCholesky(l: Float64Array, n: number, b: Float64Array): Float64Array {
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i]!;
    for (let k = 0; k < i; k++) sum -= l[i * n + k]! * y[k]!;
    y[i] = sum / l[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = y[i]!;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}
