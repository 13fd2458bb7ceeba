import { weightedLeastSquares } from '@sightline/stats';
import { selectFeatures } from './feature-selection.js';
import type { L1Selection } from './types.js';

/** Below this, an attribution is rounding noise and reported as 0 (shap's clean-up). */
const ROUNDING_NOISE = 1e-10;

/** shap's "auto" selects features when fewer than this fraction of all coalitions were evaluated. */
export const AUTO_SELECTION_FRACTION = 0.2;

/** The regression's inputs for one output column. */
export interface AttributionProblem {
  /** count × m masks over the varying features. */
  readonly masks: Uint8Array;
  readonly count: number;
  readonly m: number;
  /** One kernel weight per coalition. */
  readonly weights: Float64Array;
  /** Per coalition, the linked value minus the linked expected value. */
  readonly adjusted: Float64Array;
  /** g(f(x)) − g(E[f]): the sum the attributions must reach. */
  readonly total: number;
  readonly l1Reg: L1Selection;
  /** Distinct coalitions evaluated / (2^m − 2), for "auto". */
  readonly fractionEvaluated: number;
  /**
   * When coalitions were sampled: the sampled ones, grouped in clusters drawn together
   * (cluster c is coalitions clusterStart[c] .. clusterStart[c + 1] − 1, drawn
   * clusterDraws[c] times, each draw adding `perDraw` to each of its coalitions' weight).
   */
  readonly sampling?: {
    readonly clusterStart: Int32Array;
    readonly clusterDraws: Float64Array;
    readonly perDraw: number;
  };
}

/** Attributions of the m varying features and, when sampled, their standard errors (NaN where not estimable). */
export interface AttributionSolution {
  readonly values: Float64Array;
  readonly stdErrors: Float64Array | undefined;
}

/**
 * Kernel SHAP's weighted least squares with the efficiency constraint (attributions sum to
 * `total`) eliminated as shap does (`KernelExplainer.solve`): the last selected feature's
 * attribution is `total` minus the others', so the regression is on the masks of the others
 * minus its mask. Standard errors are a sandwich (heteroskedasticity-robust) estimate over
 * the sampled coalitions: the estimate is a smooth function of sample means over random
 * draws, so its covariance is G⁻¹ (Σ_draws (g_d − ḡ)(g_d − ḡ)ᵀ) G⁻¹ with G = XᵀWX and g_d a
 * draw's contribution to the normal equations' residual (its coalitions' weight × residual ×
 * row, a coalition and its complement together). Enumerated coalitions are fixed, adding no
 * variance; the eliminated feature's error follows from the others' covariance.
 */
export function solveAttributions(problem: AttributionProblem): AttributionSolution {
  const { masks, count, m, weights, adjusted, total } = problem;
  const selected = selectedFeatures(problem);
  const values = new Float64Array(m);
  const stdErrors = problem.sampling === undefined ? undefined : new Float64Array(m).fill(Number.NaN);
  if (selected.length === 0) return { values, stdErrors };
  const last = selected[selected.length - 1]!;
  const p = selected.length - 1;
  if (p === 0) {
    values[last] = total;
    if (stdErrors !== undefined) stdErrors[last] = 0;
    return { values, stdErrors };
  }
  const design = new Float64Array(count * p);
  const target = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const lastMask = masks[i * m + last]!;
    for (let a = 0; a < p; a++) design[i * p + a] = masks[i * m + selected[a]!]! - lastMask;
    target[i] = adjusted[i]! - lastMask * total;
  }
  const fit = weightedLeastSquares(design, count, p, target, weights);
  let sumOthers = 0;
  for (let a = 0; a < p; a++) {
    values[selected[a]!] = fit.coefficients[a]!;
    sumOthers += fit.coefficients[a]!;
  }
  values[last] = total - sumOthers;
  for (let j = 0; j < m; j++) if (Math.abs(values[j]!) < ROUNDING_NOISE) values[j] = 0;

  if (stdErrors !== undefined && problem.sampling !== undefined) {
    const covariance = sandwichCovariance(problem.sampling, design, p, fit.residuals, fit.inverseGram);
    let lastVariance = 0;
    for (let a = 0; a < p; a++) {
      stdErrors[selected[a]!] = Math.sqrt(Math.max(0, covariance[a * p + a]!));
      for (let b = 0; b < p; b++) lastVariance += covariance[a * p + b]!;
    }
    stdErrors[last] = Math.sqrt(Math.max(0, lastVariance));
  }
  return { values, stdErrors };
}

/** The features kept: all, or those the L1 step selects (shap's condition for running it). */
function selectedFeatures(problem: AttributionProblem): number[] {
  const { l1Reg, m } = problem;
  const all = Array.from({ length: m }, (_, j) => j);
  if (l1Reg.kind === 'none') return all;
  if (l1Reg.kind === 'auto' && problem.fractionEvaluated >= AUTO_SELECTION_FRACTION) return all;
  const { masks, count, weights, adjusted, total } = problem;
  // shap's augmented problem: each coalition also appears as "mask − 1" against the target
  // minus the total, weighted by w (M − |S|) and w |S|, so the sum constraint enters softly.
  const rows = 2 * count;
  const design = new Float64Array(rows * m);
  const target = new Float64Array(rows);
  for (let i = 0; i < count; i++) {
    let size = 0;
    for (let j = 0; j < m; j++) size += masks[i * m + j]!;
    const upper = Math.sqrt(weights[i]! * (m - size));
    const lower = Math.sqrt(weights[i]! * size);
    for (let j = 0; j < m; j++) {
      design[i * m + j] = upper * masks[i * m + j]!;
      design[(count + i) * m + j] = lower * (masks[i * m + j]! - 1);
    }
    target[i] = upper * adjusted[i]!;
    target[count + i] = lower * (adjusted[i]! - total);
  }
  return selectFeatures(design, rows, m, target, l1Reg.kind === 'auto' ? { kind: 'aic' } : l1Reg);
}

function sandwichCovariance(
  sampling: NonNullable<AttributionProblem['sampling']>,
  design: Float64Array,
  p: number,
  residuals: Float64Array,
  inverseGram: Float64Array,
): Float64Array {
  const clusters = sampling.clusterDraws.length;
  const scores = new Float64Array(clusters * p);
  let draws = 0;
  const mean = new Float64Array(p);
  for (let c = 0; c < clusters; c++) {
    for (let i = sampling.clusterStart[c]!; i < sampling.clusterStart[c + 1]!; i++) {
      const scale = sampling.perDraw * residuals[i]!;
      for (let a = 0; a < p; a++) scores[c * p + a]! += scale * design[i * p + a]!;
    }
    const k = sampling.clusterDraws[c]!;
    draws += k;
    for (let a = 0; a < p; a++) mean[a]! += k * scores[c * p + a]!;
  }
  const meat = new Float64Array(p * p);
  if (draws > 0) {
    for (let a = 0; a < p; a++) mean[a]! /= draws;
    for (let c = 0; c < clusters; c++) {
      const k = sampling.clusterDraws[c]!;
      for (let a = 0; a < p; a++) {
        const da = scores[c * p + a]! - mean[a]!;
        for (let b = 0; b < p; b++) meat[a * p + b]! += k * da * (scores[c * p + b]! - mean[b]!);
      }
    }
  }
  // G⁻¹ · meat · G⁻¹
  const left = multiply(inverseGram, meat, p);
  return multiply(left, inverseGram, p);
}

function multiply(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k]!;
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j]! += aik * b[k * n + j]!;
    }
  }
  return out;
}
