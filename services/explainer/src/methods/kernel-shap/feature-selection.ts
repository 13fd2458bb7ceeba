import type { L1Selection } from './types.js';

/**
 * Kernel SHAP's optional feature selection before its regression, on shap's augmented
 * problem (the coalitions and their complements weighted so the efficiency constraint enters
 * softly). shap runs scikit-learn's LARS (`lars_path`, `LassoLarsIC`); this is forward
 * stepwise selection instead — at each step the feature that most reduces the residual sum of
 * squares of an ordinary least-squares fit on the features chosen so far (Gram-Schmidt, one
 * pass over the candidates per step) — and the information criterion picks a step of that
 * path as LassoLarsIC does along its own: n log(2πσ²) + RSS/σ² + penalty × features, σ² from
 * the fit on all features, penalty 2 (AIC) or log n (BIC). No intercept: the augmented
 * targets are already relative to E[f]. NUM_FEATURES keeps the path's first `count` features.
 * Forward selection and LARS agree on the first steps whenever one feature clearly dominates,
 * and may pick different features among near-ties; both are heuristics for the same question.
 *
 * @param design rows × cols, row-major (weights already applied as √w).
 * @returns the chosen columns, ascending.
 */
export function selectFeatures(
  design: Float64Array,
  rows: number,
  cols: number,
  target: Float64Array,
  selection: Extract<L1Selection, { kind: 'aic' | 'bic' | 'num-features' }>,
): number[] {
  const maxSteps = selection.kind === 'num-features' ? Math.min(selection.count, cols) : cols;
  const path = forwardPath(design, rows, cols, target, maxSteps);
  if (selection.kind === 'num-features') return [...path.order].sort((a, b) => a - b);
  // The criterion needs the full fit's noise variance, so more rows than features.
  const fullRss = path.rss[path.order.length]!;
  if (path.order.length < cols || rows <= cols || !(fullRss > 0)) {
    return Array.from({ length: cols }, (_, j) => j);
  }
  const noise = fullRss / (rows - cols);
  const penalty = selection.kind === 'bic' ? Math.log(rows) : 2;
  let best = 0;
  let bestCriterion = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= path.order.length; k++) {
    const criterion = rows * Math.log(2 * Math.PI * noise) + path.rss[k]! / noise + penalty * k;
    if (criterion < bestCriterion) {
      bestCriterion = criterion;
      best = k;
    }
  }
  return path.order.slice(0, best).sort((a, b) => a - b);
}

/** The forward-selection path: features in the order chosen and the RSS after 0, 1, ... of them. */
function forwardPath(
  design: Float64Array,
  rows: number,
  cols: number,
  target: Float64Array,
  maxSteps: number,
): { order: number[]; rss: number[] } {
  // Columns, orthogonalised against the chosen ones as the path grows.
  const columns = Array.from({ length: cols }, (_, j) => {
    const column = new Float64Array(rows);
    for (let i = 0; i < rows; i++) column[i] = design[i * cols + j]!;
    return column;
  });
  const originalNorm = columns.map((c) => dot(c, c));
  const residual = Float64Array.from(target);
  const chosen = new Uint8Array(cols);
  const order: number[] = [];
  const rss = [dot(residual, residual)];
  for (let step = 0; step < maxSteps; step++) {
    let best = -1;
    let bestGain = 0;
    for (let j = 0; j < cols; j++) {
      if (chosen[j]) continue;
      const norm = dot(columns[j]!, columns[j]!);
      // A column (almost) in the span of the chosen ones adds nothing.
      if (!(norm > 1e-12 * originalNorm[j]!) || norm === 0) continue;
      const gain = dot(columns[j]!, residual) ** 2 / norm;
      if (best < 0 || gain > bestGain) {
        best = j;
        bestGain = gain;
      }
    }
    if (best < 0) break;
    chosen[best] = 1;
    order.push(best);
    const q = columns[best]!;
    const qNorm = Math.sqrt(dot(q, q));
    for (let i = 0; i < rows; i++) q[i]! /= qNorm;
    subtractProjection(residual, q);
    for (let j = 0; j < cols; j++) if (!chosen[j]) subtractProjection(columns[j]!, q);
    rss.push(dot(residual, residual));
  }
  return { order, rss };
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** v −= (qᵀv) q for a unit q. */
function subtractProjection(v: Float64Array, q: Float64Array): void {
  const coefficient = dot(q, v);
  for (let i = 0; i < v.length; i++) v[i]! -= coefficient * q[i]!;
}
