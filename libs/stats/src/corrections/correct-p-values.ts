/**
 * Multiple-testing corrections for per-feature p-values: Bonferroni and Benjamini-Hochberg,
 * with statsmodels' `multipletests` verdicts (`bonferroni`, `fdr_bh`).
 */
import { InvalidArgumentError } from '@sightline/errors';

/** `bonferroni` controls the family-wise error rate, `fdr` the false discovery rate (BH). */
export type Correction = 'bonferroni' | 'fdr';

/** The verdicts: one per p-value, the overall one, and the p-value cut-off that produced them. */
export interface CorrectedVerdicts {
  /**
   * The cut-off: a p-value is rejected exactly when it is <= threshold. Bonferroni: alpha / m.
   * BH: k * alpha / m for the largest rank k whose sorted p-value is <= k * alpha / m, or
   * alpha / m when there is none (then every p-value is above it).
   */
  readonly threshold: number;
  /** Per p-value, in input order: is the null rejected (drift)? */
  readonly rejected: boolean[];
  /** Whether any null was rejected (the overall verdict). */
  readonly anyRejected: boolean;
}

const CORRECTIONS: readonly Correction[] = ['bonferroni', 'fdr'];

/**
 * Corrects `pValues` for multiplicity at level `alpha`.
 *
 * @throws InvalidArgumentError on no p-values, a p-value outside [0, 1] or NaN, alpha outside
 * (0, 1), or an unknown correction.
 */
export function correctPValues(
  pValues: readonly number[],
  alpha: number,
  correction: Correction,
): CorrectedVerdicts {
  if (!CORRECTIONS.includes(correction)) {
    throw new InvalidArgumentError(
      `correction: must be one of ${CORRECTIONS.join(', ')}, got "${correction}"`,
      {
        field: 'correction',
      },
    );
  }
  if (!(alpha > 0 && alpha < 1)) {
    throw new InvalidArgumentError(`alpha: must be in (0, 1), got ${alpha}`, { field: 'alpha' });
  }
  const m = pValues.length;
  if (m === 0) {
    throw new InvalidArgumentError('pValues: needs at least one p-value', { field: 'pValues' });
  }
  for (let i = 0; i < m; i++) {
    const p = pValues[i]!;
    if (!(p >= 0 && p <= 1)) {
      throw new InvalidArgumentError(`pValues, row ${i}: must be in [0, 1], got ${p}`, { field: 'pValues' });
    }
  }
  let threshold: number;
  if (correction === 'bonferroni') {
    threshold = alpha / m;
  } else {
    // statsmodels fdr_bh: the largest rank k (1-based) with p_(k) <= (k / m) * alpha; every
    // p-value up to that rank is rejected, which is every p-value <= (k / m) * alpha.
    const sorted = Float64Array.from(pValues).sort();
    let kMax = 0;
    for (let k = 1; k <= m; k++) {
      if (sorted[k - 1]! <= (k / m) * alpha) kMax = k;
    }
    threshold = kMax > 0 ? (kMax / m) * alpha : (1 / m) * alpha;
  }
  const rejected = pValues.map((p) => p <= threshold);
  return { threshold, rejected, anyRejected: rejected.includes(true) };
}
