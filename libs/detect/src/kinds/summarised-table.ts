/**
 * What a kind scores when a window was too large to hold as rows: the window summary's
 * sketches, counts and reservoir sample, read with the detector's schema
 * (`WindowSummary.toTable`). Plain data: the kinds never see the summary class.
 */
import type { QuantileSketch } from '@sightline/stats';
import type { FeatureTable, TableSchema } from '../table/feature-table.js';

/** A summarised window as the kinds read it. */
export interface SummarisedTable extends TableSchema {
  /** Rows the window had (all of them, not the sample's). */
  readonly rows: number;
  /** Relative accuracy of the sketches. */
  readonly relativeAccuracy: number;
  /** Per numeric column, a sketch of its finite values; undefined for categorical columns. */
  readonly sketches: readonly (QuantileSketch | undefined)[];
  /**
   * Per numeric column with few distinct values in the window (at most the summary's
   * maxDistinctValues), the exact count of each value: tests on it are exact.
   */
  readonly distinct?: readonly (ReadonlyMap<number, number> | undefined)[];
  /** The most distinct values a column's exact counts keep. */
  readonly maxDistinctValues?: number;
  /** Per categorical column, the count of each code (overflow under the unseen code); undefined for numeric ones. */
  readonly counts: readonly (ReadonlyMap<number, number> | undefined)[];
  /** Per column: NaN cells, +-Infinity cells, wrong-type cells (exact). */
  readonly missing: readonly number[];
  readonly infinite: readonly number[];
  readonly typeViolations: readonly number[];
  /** A uniform reservoir sample of the window's rows (mmd, lsdd and pca score it). */
  readonly sample: FeatureTable;
}

/** How a result scored on a summarised window was approximated. */
export interface WindowApproximation {
  /** Rows the window had. */
  readonly windowRows: number;
  /** Relative accuracy of the quantile sketches. */
  readonly relativeAccuracy: number;
  /** Rows the multivariate statistic was computed on (the reservoir); absent for per-feature kinds. */
  readonly sampledRows?: number;
  /** What the approximation means for this result, in one sentence. */
  readonly note: string;
}

/** The values of exact counts, ascending, each repeated by its count (what a raw window's sorted column holds). */
export function expandCounts(counts: ReadonlyMap<number, number>): Float64Array {
  let total = 0;
  for (const n of counts.values()) total += n;
  const values = new Float64Array(total);
  let at = 0;
  for (const [v, n] of [...counts].sort((a, b) => a[0] - b[0])) {
    values.fill(v, at, at + n);
    at += n;
  }
  return values;
}
