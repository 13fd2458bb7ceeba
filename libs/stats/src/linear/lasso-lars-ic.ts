import { gramAndCorrelation, larsPathFromGram } from './lars-path.js';
import { weightedLeastSquares } from './weighted-least-squares.js';

/** What {@link lassoLarsIc} chose. */
export interface LassoLarsIcFit {
  /** Coefficients on the scaled, centred columns at the chosen step (0 where not selected). */
  readonly coefficients: Float64Array;
  /** The columns with a non-zero coefficient, ascending. */
  readonly selected: readonly number[];
  /** The criterion at each step of the Lasso path. */
  readonly criterion: Float64Array;
}

/**
 * Lasso with the penalty chosen by an information criterion along the LARS path, as
 * scikit-learn's `make_pipeline(StandardScaler(with_mean=False), LassoLarsIC(criterion))` (the
 * pipeline shap's Kernel SHAP runs for `l1_reg="aic"`/`"bic"`/`"auto"`): columns divided by their
 * standard deviation, columns and target centred (the intercept), the Lasso path from
 * {@link larsPath}, and per step n log(2πσ²) + RSS/σ² + penalty × (non-zero coefficients), with
 * σ² = the least-squares fit's RSS / (n − cols − 1) and penalty 2 (AIC) or log n (BIC).
 *
 * @returns undefined when rows ≤ cols + 1 (scikit-learn refuses: no noise estimate).
 */
export function lassoLarsIc(
  design: Float64Array,
  rows: number,
  cols: number,
  target: Float64Array,
  criterion: 'aic' | 'bic',
): LassoLarsIcFit | undefined {
  if (rows <= cols + 1) return undefined;
  const x = new Float64Array(rows * cols);
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += design[i * cols + j]!;
    mean /= rows;
    let variance = 0;
    for (let i = 0; i < rows; i++) variance += (design[i * cols + j]! - mean) ** 2;
    variance /= rows;
    // StandardScaler leaves a constant column unscaled.
    const scale = variance === 0 ? 1 : Math.sqrt(variance);
    for (let i = 0; i < rows; i++) x[i * cols + j] = (design[i * cols + j]! - mean) / scale;
  }
  let targetMean = 0;
  for (let i = 0; i < rows; i++) targetMean += target[i]!;
  targetMean /= rows;
  const y = Float64Array.from(target, (v) => v - targetMean);

  const { gram, correlation } = gramAndCorrelation(x, rows, cols, y);
  const path = larsPathFromGram(gram, correlation, rows, cols, { method: 'lasso' });
  const ols = weightedLeastSquares(x, rows, cols, y, new Float64Array(rows).fill(1));
  let olsRss = 0;
  for (const r of ols.residuals) olsRss += r * r;
  const noise = olsRss / (rows - cols - 1);
  const penalty = criterion === 'bic' ? Math.log(rows) : 2;
  let yy = 0;
  for (const v of y) yy += v * v;
  const values = new Float64Array(path.coefs.length);
  let best = 0;
  path.coefs.forEach((coef, k) => {
    // RSS = yᵀy − 2 βᵀXᵀy + βᵀ(XᵀX)β, without another pass over the rows.
    let rss = yy;
    for (let a = 0; a < cols; a++) {
      if (coef[a] === 0) continue;
      rss -= 2 * coef[a]! * correlation[a]!;
      for (let b = 0; b < cols; b++) rss += coef[a]! * gram[a * cols + b]! * coef[b]!;
    }
    let degrees = 0;
    for (const c of coef) if (Math.abs(c) > Number.EPSILON) degrees++;
    values[k] = rows * Math.log(2 * Math.PI * noise) + rss / noise + penalty * degrees;
    if (values[k]! < values[best]!) best = k;
  });
  const coefficients = Float64Array.from(path.coefs[best]!);
  const selected: number[] = [];
  coefficients.forEach((c, j) => {
    if (c !== 0) selected.push(j);
  });
  return { coefficients, selected, criterion: values };
}
