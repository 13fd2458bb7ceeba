/**
 * Exact-as-possible running sums for the windowed accumulators: adding a window pair by pair,
 * or two halves merged, gives the same figures to a few ulps, so a merged window reads as a
 * recomputation from scratch.
 */

/** A compensated (Neumaier) sum: the rounding error of each addition is carried separately. */
export interface CompensatedSum {
  sum: number;
  compensation: number;
}

/** An empty {@link CompensatedSum}. */
export function compensatedSum(): CompensatedSum {
  return { sum: 0, compensation: 0 };
}

/** Adds `x` to `s` in place (Neumaier's variant of Kahan summation). */
export function addCompensated(s: CompensatedSum, x: number): void {
  const t = s.sum + x;
  if (Math.abs(s.sum) >= Math.abs(x)) s.compensation += s.sum - t + x;
  else s.compensation += x - t + s.sum;
  s.sum = t;
}

/** The value of a {@link CompensatedSum}. */
export function compensatedValue(s: CompensatedSum): number {
  return s.sum + s.compensation;
}

/** Adds `other` into `s` in place. */
export function mergeCompensated(s: CompensatedSum, other: CompensatedSum): void {
  addCompensated(s, other.sum);
  addCompensated(s, other.compensation);
}

/**
 * Count, mean and sum of squared deviations (M2) of a series, updated by Welford's rule and
 * merged by Chan, Golub and LeVeque's: the variance without the cancellation of
 * sum(x²) - sum(x)²/n.
 */
export interface RunningMoments {
  count: number;
  mean: number;
  m2: number;
}

/** Empty {@link RunningMoments}. */
export function runningMoments(): RunningMoments {
  return { count: 0, mean: 0, m2: 0 };
}

/** Adds one value in place. */
export function addMoment(m: RunningMoments, x: number): void {
  m.count += 1;
  const delta = x - m.mean;
  m.mean += delta / m.count;
  m.m2 += delta * (x - m.mean);
}

/** Merges `other` into `m` in place. */
export function mergeMoments(m: RunningMoments, other: RunningMoments): void {
  if (other.count === 0) return;
  if (m.count === 0) {
    m.count = other.count;
    m.mean = other.mean;
    m.m2 = other.m2;
    return;
  }
  const count = m.count + other.count;
  const delta = other.mean - m.mean;
  m.mean += (delta * other.count) / count;
  m.m2 += other.m2 + (delta * delta * m.count * other.count) / count;
  m.count = count;
}

/** The sample variance (ddof = 1); NaN below two values. */
export function sampleVariance(m: RunningMoments): number {
  return m.count < 2 ? Number.NaN : m.m2 / (m.count - 1);
}
