/**
 * Global importance of one group (a model version): per explained output column and per
 * feature, the mean |attribution|, the signed mean and the standard deviation over the rows
 * whose local explanation was added. Sums run in Welford's form (mean and M2 updated per row),
 * so the deviation of many rows with a large mean does not cancel catastrophically. The
 * deviation is the population one (divided by n, numpy's default): the rows are all the rows
 * explained, not a sample of a larger set whose spread is estimated.
 */

/** One explained column of one row's local explanation. */
export interface RowAttributions {
  /** The model's output column. */
  readonly column: number;
  /** One attribution per feature, in feature order. */
  readonly values: Float64Array;
}

/** One feature's aggregate. */
export interface FeatureImportanceValue {
  readonly meanAbs: number;
  readonly mean: number;
  readonly std: number;
}

/** One output column's aggregate: the rows that explained it and per feature. */
export interface ColumnImportance {
  readonly column: number;
  readonly rows: number;
  readonly features: readonly FeatureImportanceValue[];
}

interface ColumnSums {
  n: number;
  readonly meanAbs: Float64Array;
  readonly mean: Float64Array;
  readonly m2: Float64Array;
}

/** Adds rows' attributions; answers the per-column importances at any time. */
export class AttributionAggregate {
  private readonly columns = new Map<number, ColumnSums>();
  private rowCount = 0;

  constructor(readonly featureCount: number) {}

  /** Rows added. */
  get rows(): number {
    return this.rowCount;
  }

  /** Adds one row: its attributions for each column it explained. */
  add(row: readonly RowAttributions[]): void {
    const f = this.featureCount;
    for (const { column, values } of row) {
      if (values.length !== f) {
        throw new RangeError(`AttributionAggregate: expected ${f} attributions, got ${values.length}`);
      }
      let sums = this.columns.get(column);
      if (!sums) {
        sums = { n: 0, meanAbs: new Float64Array(f), mean: new Float64Array(f), m2: new Float64Array(f) };
        this.columns.set(column, sums);
      }
      sums.n += 1;
      const n = sums.n;
      for (let i = 0; i < f; i++) {
        const x = values[i]!;
        sums.meanAbs[i]! += (Math.abs(x) - sums.meanAbs[i]!) / n;
        const delta = x - sums.mean[i]!;
        sums.mean[i]! += delta / n;
        sums.m2[i]! += delta * (x - sums.mean[i]!);
      }
    }
    this.rowCount += 1;
  }

  /** Per explained column, in column order. */
  importances(): ColumnImportance[] {
    return [...this.columns.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([column, sums]) => ({
        column,
        rows: sums.n,
        features: Array.from({ length: this.featureCount }, (_, i) => ({
          meanAbs: sums.meanAbs[i]!,
          mean: sums.mean[i]!,
          std: Math.sqrt(Math.max(0, sums.m2[i]! / sums.n)),
        })),
      }));
  }
}
