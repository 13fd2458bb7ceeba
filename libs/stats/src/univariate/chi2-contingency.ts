/**
 * Pearson's chi-squared test of independence on a contingency table, equal to
 * `scipy.stats.chi2_contingency` (default lambda): expected counts from the margins, Yates'
 * continuity correction only when the table has one degree of freedom, p from the chi-squared
 * survival function (the upper regularized incomplete gamma function, as scipy's `chdtrc`).
 */
import { InvalidArgumentError } from '@sightline/errors';
import gammainc from '@stdlib/math-base-special-gammainc';
import type { TwoSampleTestResult } from './two-sample-result.js';

/** Options of {@link chi2Contingency}. */
export interface Chi2ContingencyOptions {
  /** Apply Yates' correction when dof is 1 (scipy's `correction`, default true). */
  readonly correction?: boolean;
}

/** The statistic, p-value, degrees of freedom and the table of expected counts. */
export interface Chi2ContingencyResult extends TwoSampleTestResult {
  /** Degrees of freedom, (rows - 1) * (columns - 1). */
  readonly dof: number;
  /** Expected counts under independence, row-major as the input. */
  readonly expected: number[][];
}

/** Yates moves each observed count toward its expected count by at most this much. */
const YATES_MAX_ADJUSTMENT = 0.5;

/**
 * The chi-squared test of independence on an r x c table of counts (the drift detector passes
 * 2 x k: reference counts and window counts per category), as
 * `scipy.stats.chi2_contingency(table, correction)`.
 *
 * @throws InvalidArgumentError on an empty or ragged table, a negative or non-finite count, or a
 * row or column that sums to zero (scipy's "expected frequencies has a zero element").
 */
export function chi2Contingency(
  table: readonly (readonly number[])[],
  options: Chi2ContingencyOptions = {},
): Chi2ContingencyResult {
  const rows = table.length;
  const cols = rows > 0 ? table[0]!.length : 0;
  if (rows === 0 || cols === 0) {
    throw new InvalidArgumentError('table: needs at least one row and one column of counts', {
      field: 'table',
    });
  }
  const rowSums = new Float64Array(rows);
  const colSums = new Float64Array(cols);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = table[i]!;
    if (row.length !== cols) {
      throw new InvalidArgumentError(
        `table, row ${i}: expected ${cols} columns like row 0, got ${row.length}`,
        {
          field: 'table',
        },
      );
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j]!;
      if (!Number.isFinite(v) || v < 0) {
        throw new InvalidArgumentError(
          `table, row ${i}, column ${j}: counts must be finite and >= 0, got ${v}`,
          {
            field: 'table',
          },
        );
      }
      rowSums[i]! += v;
      colSums[j]! += v;
      total += v;
    }
  }
  const expected: number[][] = [];
  for (let i = 0; i < rows; i++) {
    const e: number[] = [];
    for (let j = 0; j < cols; j++) {
      const value = (rowSums[i]! * colSums[j]!) / total;
      if (value === 0) {
        throw new InvalidArgumentError(
          `table, row ${i}, column ${j}: the expected count is zero (row ${i} or column ${j} has no observations)`,
          { field: 'table' },
        );
      }
      e.push(value);
    }
    expected.push(e);
  }
  const dof = rows * cols - (rows + cols) + 2 - 1;
  if (dof === 0) {
    return { statistic: 0, pValue: 1, dof, expected };
  }
  const yates = dof === 1 && (options.correction ?? true);
  let statistic = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const exp = expected[i]![j]!;
      let obs = table[i]![j]!;
      if (yates) {
        const diff = exp - obs;
        obs += Math.sign(diff) * Math.min(YATES_MAX_ADJUSTMENT, Math.abs(diff));
      }
      statistic += (obs - exp) ** 2 / exp;
    }
  }
  return { statistic, pValue: chiSquaredSf(statistic, dof), dof, expected };
}

/** The chi-squared survival function, Q(dof/2, x/2). */
export function chiSquaredSf(x: number, dof: number): number {
  if (x <= 0) return 1;
  return gammainc(x / 2, dof / 2, true, true);
}
