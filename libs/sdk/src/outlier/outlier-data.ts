/**
 * The data an outlier detector is fitted on or scores: the shared batch forms (a table of
 * named numeric columns, or tensors as `infer` takes them). A table's column named `label`
 * ({@link OUTLIER_LABEL_COLUMN}) is left out, so a labelled evaluation file (the planted
 * outliers marked) can be fitted and scored as it is; a text column is refused here, naming
 * it, because every outlier kind scores numbers only.
 */
import type { outlierV1 } from '@sightline/contracts';
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import {
  type BatchData,
  batchTensorMessages,
  type DataColumn,
  type DataTable,
  isDataTable,
} from '../data/table-data.js';

/** The table column every outlier call leaves out (an evaluation file's ground truth). */
export const OUTLIER_LABEL_COLUMN = 'label';

/**
 * A batch: a table of numeric columns (one feature each, named by the column; a `label`
 * column is left out), or tensors whose first dimension is the row.
 */
export type OutlierData = BatchData;

/**
 * The table without its `label` column.
 *
 * @throws InvalidArgumentError for a text column, naming it, or a table with no column
 *   besides `label`.
 */
export function outlierTable(table: DataTable): DataTable {
  const columns: Record<string, DataColumn> = {};
  for (const [name, column] of Object.entries(table.columns)) {
    if (name === OUTLIER_LABEL_COLUMN) continue;
    if (!(column instanceof Float64Array) && typeof column[0] === 'string') {
      throw new InvalidArgumentError(
        `column ${quoteName(name)}: holds text; outlier detectors score numeric features only (a column named "${OUTLIER_LABEL_COLUMN}" is left out)`,
        { field: name },
      );
    }
    columns[name] = column;
  }
  if (Object.keys(columns).length === 0) {
    throw new InvalidArgumentError(
      `columns: a table needs at least one column besides "${OUTLIER_LABEL_COLUMN}"`,
      { field: 'columns' },
    );
  }
  return { columns };
}

/** The contract's tensor messages for a batch (a table's `label` column left out). */
export function outlierTensorMessages(data: OutlierData): outlierV1.ScoreRequest['data'] {
  return batchTensorMessages(isDataTable(data) ? outlierTable(data) : data);
}
