/**
 * The data a drift detector is fitted on or tests: a table of named columns, or tensors as
 * the inference client takes them (the shared batch forms of `../data/table-data.ts`, under
 * the names the drift client has always exported).
 */
import type { driftV1 } from '@sightline/contracts';
import {
  type BatchData,
  batchTensorMessages,
  type DataColumn,
  type DataTable,
  isDataTable,
} from '../data/table-data.js';

/** One column of a table: numbers (a numeric feature) or strings (a categorical one). */
export type DriftColumn = DataColumn;

/** Named columns of equal length, one feature each. */
export type DriftTable = DataTable;

/**
 * A batch: a table, or tensors whose first dimension is the row (as `infer` takes them:
 * a list of inputs or `Tensor`s, or a record from tensor name to its elements).
 */
export type DriftData = BatchData;

/** True when `data` is a {@link DriftTable} (see `isDataTable`). */
export const isDriftTable: (data: DriftData) => data is DriftTable = isDataTable;

/** The contract's tensor messages for a batch (raw contents, as the inference client sends). */
export function driftTensorMessages(data: DriftData): driftV1.FitRequest['data'] {
  return batchTensorMessages(data);
}
