/**
 * Mergeable moments for a delta-method interval of R² = 1 - mean(a) / mean(b), where a = the
 * squared error of a pair and b = (y_true - mean y_true)².
 *
 * Var(R²) ≈ [Var(a) / b̄² + ā² Var(b) / b̄⁴ - 2 ā Cov(a, b) / b̄³] / n (the delta method for a
 * ratio of means; estimating mean y_true inside b is of lower order and ignored). That needs
 * y_true's central moments up to the fourth, a's second, and the co-moments
 * Σ (a - ā)(y - ȳ) and Σ (a - ā)(y - ȳ)². All are kept about the window's own means and merged
 * by the partition identities (a part's sums re-centred on the merged means: Pébay 2008 for the
 * power moments, the same expansion for the co-moments), so no sum of large raw powers cancels.
 * Adding a pair is merging a one-pair window.
 */
import { type ConfidenceInterval, checkConfidence, DEFAULT_CONFIDENCE } from './confidence-intervals.js';
import { normalQuantile } from './distribution-quantiles.js';

/** Central moments and co-moments of (y_true, squared error) about the window's means. */
export interface R2Moments {
  count: number;
  meanY: number;
  meanA: number;
  /** Σ (y - ȳ)^k for k = 2, 3, 4. */
  m2Y: number;
  m3Y: number;
  m4Y: number;
  /** Σ (a - ā)². */
  m2A: number;
  /** Σ (a - ā)(y - ȳ). */
  coAY: number;
  /** Σ (a - ā)(y - ȳ)². */
  coAY2: number;
}

/** Empty {@link R2Moments}. */
export function r2Moments(): R2Moments {
  return { count: 0, meanY: 0, meanA: 0, m2Y: 0, m3Y: 0, m4Y: 0, m2A: 0, coAY: 0, coAY2: 0 };
}

/** Adds one pair (its y_true and squared error) in place. */
export function addR2Pair(m: R2Moments, yTrue: number, squaredError: number): void {
  // mergeR2Moments with a one-pair side (its central moments 0), written out: no allocation
  // per pair (the general merge builds objects, 0.7 µs a pair on a million pairs). The same
  // operations in the same order, so the sums are the general merge's to the bit. Powers are
  // products, not `**`: V8's pow took ~190 ns a call here (four per pair, 3/4 of the kernel's
  // time); a product can differ from pow in the last bit, equally in both functions.
  if (m.count === 0) {
    Object.assign(m, { ...r2Moments(), count: 1, meanY: yTrue, meanA: squaredError });
    return;
  }
  const c = m.count;
  const n = c + 1;
  const meanY = m.meanY + (yTrue - m.meanY) / n;
  const meanA = m.meanA + (squaredError - m.meanA) / n;
  const beta = m.meanY - meanY;
  const alpha = m.meanA - meanA;
  const beta1 = yTrue - meanY;
  const alpha1 = squaredError - meanA;
  const m2Y = m.m2Y + c * beta * beta + beta1 * beta1;
  const m3Y = m.m3Y + 3 * beta * m.m2Y + c * (beta * beta * beta) + beta1 * beta1 * beta1;
  const m4Y =
    m.m4Y +
    4 * beta * m.m3Y +
    6 * beta * beta * m.m2Y +
    c * (beta * beta * beta * beta) +
    beta1 * beta1 * beta1 * beta1;
  const m2A = m.m2A + c * alpha * alpha + alpha1 * alpha1;
  const coAY = m.coAY + c * alpha * beta + alpha1 * beta1;
  const coAY2 =
    m.coAY2 + 2 * beta * m.coAY + alpha * m.m2Y + c * alpha * beta * beta + alpha1 * beta1 * beta1;
  m.count = n;
  m.meanY = meanY;
  m.meanA = meanA;
  m.m2Y = m2Y;
  m.m3Y = m3Y;
  m.m4Y = m4Y;
  m.m2A = m2A;
  m.coAY = coAY;
  m.coAY2 = coAY2;
}

/** Merges `other` into `m` in place. */
export function mergeR2Moments(m: R2Moments, other: R2Moments): void {
  if (other.count === 0) return;
  if (m.count === 0) {
    Object.assign(m, other);
    return;
  }
  const n = m.count + other.count;
  const dy = other.meanY - m.meanY;
  const da = other.meanA - m.meanA;
  const meanY = m.meanY + (dy * other.count) / n;
  const meanA = m.meanA + (da * other.count) / n;
  const parts = [m, other].map((p) => ({ p, beta: p.meanY - meanY, alpha: p.meanA - meanA }));
  let m2Y = 0;
  let m3Y = 0;
  let m4Y = 0;
  let m2A = 0;
  let coAY = 0;
  let coAY2 = 0;
  for (const { p, beta, alpha } of parts) {
    m2Y += p.m2Y + p.count * beta * beta;
    m3Y += p.m3Y + 3 * beta * p.m2Y + p.count * (beta * beta * beta);
    m4Y += p.m4Y + 4 * beta * p.m3Y + 6 * beta * beta * p.m2Y + p.count * (beta * beta * beta * beta);
    m2A += p.m2A + p.count * alpha * alpha;
    coAY += p.coAY + p.count * alpha * beta;
    coAY2 += p.coAY2 + 2 * beta * p.coAY + alpha * p.m2Y + p.count * alpha * beta * beta;
  }
  Object.assign(m, { count: n, meanY, meanA, m2Y, m3Y, m4Y, m2A, coAY, coAY2 });
}

/** The delta-method standard error of R² = 1 - ā / b̄; NaN below 3 pairs or for a constant y_true. */
export function r2StandardError(m: R2Moments): number {
  const n = m.count;
  if (n < 3 || !(m.m2Y > 0)) return Number.NaN;
  const b = m.m2Y / n;
  const a = m.meanA;
  const varA = m.m2A / n;
  const varB = Math.max(m.m4Y / n - b * b, 0);
  const covAB = m.coAY2 / n;
  const variance = (varA / (b * b) + (a * a * varB) / b ** 4 - (2 * a * covAB) / b ** 3) / n;
  return Math.sqrt(Math.max(variance, 0));
}

/**
 * Delta-method interval (`delta`) of R² = `r2`: r2 ± z SE, the high end at most 1; (-Infinity, 1]
 * when the standard error is undefined (below 3 pairs, constant y_true).
 */
export function r2Interval(
  m: R2Moments,
  r2: number,
  confidence: number = DEFAULT_CONFIDENCE,
): ConfidenceInterval {
  checkConfidence(confidence);
  const se = r2StandardError(m);
  if (!Number.isFinite(se) || !Number.isFinite(r2))
    return { low: -Infinity, high: 1, confidence, method: 'delta' };
  const z = normalQuantile(0.5 + confidence / 2);
  return { low: r2 - z * se, high: Math.min(r2 + z * se, 1), confidence, method: 'delta' };
}

/** True when `json` has every field of {@link R2Moments} finite, count an integer >= 0. */
export function isR2Moments(json: unknown): json is R2Moments {
  if (typeof json !== 'object' || json === null) return false;
  const j = json as Record<string, unknown>;
  const fields = ['count', 'meanY', 'meanA', 'm2Y', 'm3Y', 'm4Y', 'm2A', 'coAY', 'coAY2'];
  return (
    fields.every((f) => typeof j[f] === 'number' && Number.isFinite(j[f])) &&
    Number.isInteger(j.count) &&
    (j.count as number) >= 0
  );
}
