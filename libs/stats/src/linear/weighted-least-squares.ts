import { Matrix, pseudoInverse } from 'ml-matrix';

/** A weighted least-squares fit: the coefficients and what a covariance estimate needs. */
export interface WeightedLeastSquaresFit {
  /** `cols` coefficients minimising Σ w_i (y_i − x_i·β)². */
  readonly coefficients: Float64Array;
  /** (XᵀWX)⁻¹ (a pseudo-inverse when singular), cols × cols row-major: the "bread" of a sandwich covariance. */
  readonly inverseGram: Float64Array;
  /** y − Xβ, one per row. */
  readonly residuals: Float64Array;
  /** Whether XᵀWX was singular and the minimum-norm solution was taken (numpy's lstsq answer). */
  readonly singular: boolean;
}

/**
 * Weighted least squares by the normal equations (XᵀWX) β = XᵀWy, as shap's Kernel SHAP
 * solves its regression: a Cholesky factorisation of the small cols × cols Gram matrix, and,
 * when that matrix is singular (collinear columns, too few rows), the minimum-norm solution
 * through its pseudo-inverse, which is what numpy's `lstsq` fallback in shap returns.
 *
 * @param design rows × cols values, row-major.
 * @param weights one non-negative weight per row.
 */
export function weightedLeastSquares(
  design: Float64Array,
  rows: number,
  cols: number,
  y: Float64Array,
  weights: Float64Array,
): WeightedLeastSquaresFit {
  if (design.length !== rows * cols || y.length !== rows || weights.length !== rows) {
    throw new RangeError(
      `weightedLeastSquares: expected ${rows}x${cols} design, ${rows} targets and weights, got ${design.length}, ${y.length}, ${weights.length}`,
    );
  }
  const gram = new Float64Array(cols * cols);
  const moment = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const w = weights[i]!;
    if (w === 0) continue;
    const base = i * cols;
    for (let a = 0; a < cols; a++) {
      const wa = w * design[base + a]!;
      if (wa === 0) continue;
      moment[a]! += wa * y[i]!;
      for (let b = 0; b <= a; b++) gram[a * cols + b]! += wa * design[base + b]!;
    }
  }
  for (let a = 0; a < cols; a++) for (let b = 0; b < a; b++) gram[b * cols + a] = gram[a * cols + b]!;

  const factor = choleskyLower(gram, cols);
  let inverseGram: Float64Array;
  if (factor === undefined) {
    inverseGram = Float64Array.from(pseudoInverse(new Matrix(toNested(gram, cols))).to1DArray());
  } else {
    inverseGram = inverseFromCholesky(factor, cols);
  }
  const coefficients = new Float64Array(cols);
  for (let a = 0; a < cols; a++) {
    let sum = 0;
    for (let b = 0; b < cols; b++) sum += inverseGram[a * cols + b]! * moment[b]!;
    coefficients[a] = sum;
  }
  const residuals = new Float64Array(rows);
  for (let i = 0; i < rows; i++) {
    let fitted = 0;
    for (let a = 0; a < cols; a++) fitted += design[i * cols + a]! * coefficients[a]!;
    residuals[i] = y[i]! - fitted;
  }
  return { coefficients, inverseGram, residuals, singular: factor === undefined };
}

/**
 * Lower Cholesky factor of a symmetric matrix, or undefined when it is not numerically
 * positive definite (a pivot below 1e-12 of the largest diagonal entry).
 */
export function choleskyLower(matrix: Float64Array, n: number): Float64Array | undefined {
  let largestDiagonal = 0;
  for (let i = 0; i < n; i++) largestDiagonal = Math.max(largestDiagonal, Math.abs(matrix[i * n + i]!));
  const floor = largestDiagonal * 1e-12;
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let pivot = matrix[j * n + j]!;
    for (let k = 0; k < j; k++) pivot -= l[j * n + k]! ** 2;
    if (!(pivot > floor)) return undefined;
    const root = Math.sqrt(pivot);
    l[j * n + j] = root;
    for (let i = j + 1; i < n; i++) {
      let sum = matrix[i * n + j]!;
      for (let k = 0; k < j; k++) sum -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = sum / root;
    }
  }
  return l;
}

/** (L Lᵀ)⁻¹ from the lower factor L, n × n row-major. */
function inverseFromCholesky(l: Float64Array, n: number): Float64Array {
  // L⁻¹ by forward substitution, then (L Lᵀ)⁻¹ = L⁻ᵀ L⁻¹.
  const lInverse = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    lInverse[j * n + j] = 1 / l[j * n + j]!;
    for (let i = j + 1; i < n; i++) {
      let sum = 0;
      for (let k = j; k < i; k++) sum += l[i * n + k]! * lInverse[k * n + j]!;
      lInverse[i * n + j] = -sum / l[i * n + i]!;
    }
  }
  const inverse = new Float64Array(n * n);
  for (let a = 0; a < n; a++) {
    for (let b = 0; b <= a; b++) {
      let sum = 0;
      for (let k = a; k < n; k++) sum += lInverse[k * n + a]! * lInverse[k * n + b]!;
      inverse[a * n + b] = sum;
      inverse[b * n + a] = sum;
    }
  }
  return inverse;
}

function toNested(values: Float64Array, n: number): number[][] {
  return Array.from({ length: n }, (_, i) => Array.from(values.subarray(i * n, (i + 1) * n)));
}
