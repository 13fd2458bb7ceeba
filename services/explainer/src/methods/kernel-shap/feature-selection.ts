import { larsPath, lassoLarsIc } from '@sightline/stats';
import type { L1Selection } from './types.js';

/**
 * Kernel SHAP's optional feature selection before its regression, on shap's augmented problem
 * (the coalitions and their complements weighted so the efficiency constraint enters softly),
 * exactly as shap's `KernelExplainer.solve` calls scikit-learn: AIC / BIC run
 * `make_pipeline(StandardScaler(with_mean=False), LassoLarsIC(criterion))` and keep the
 * features with a non-zero coefficient (libs/stats `lassoLarsIc`); NUM_FEATURES keeps the first
 * `count` features to enter the least-angle path (`lars_path(..., max_iter=count)`, libs/stats
 * `larsPath`). Both are checked against scikit-learn in libs/stats.
 *
 * @param design rows × cols, row-major (weights already applied as √w).
 * @returns the chosen columns, ascending; every column when the criterion cannot be computed
 *   (rows ≤ cols + 1, where scikit-learn refuses to estimate the noise).
 */
export function selectFeatures(
  design: Float64Array,
  rows: number,
  cols: number,
  target: Float64Array,
  selection: Extract<L1Selection, { kind: 'aic' | 'bic' | 'num-features' }>,
): number[] {
  if (selection.kind === 'num-features') {
    const path = larsPath(design, rows, cols, target, { method: 'lar', maxIter: selection.count });
    return [...path.active].sort((a, b) => a - b);
  }
  const fit = lassoLarsIc(design, rows, cols, target, selection.kind);
  return fit === undefined ? Array.from({ length: cols }, (_, j) => j) : [...fit.selected];
}
