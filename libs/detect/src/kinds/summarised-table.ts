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
