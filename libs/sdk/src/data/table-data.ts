/**
 * The data a detector (drift or outlier) is fitted on or scores: a table of named columns,
 * or tensors as the inference client takes them. A table's column becomes its own 1-D
 * tensor named after the column (FP64 for numbers, BYTES for strings), so the services name
 * the feature after the column ("a CSV column sent as its own tensor keeps its header as
 * its name"). One copy here, shared by the drift and outlier clients.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import { encodeTensorMessages, type Tensor, type TensorMessage } from '@sightline/tensor';
import { type InferInputs, toTensor, toTensors } from '../inference/infer-input.js';

/** One column of a table: numbers (a numeric feature) or strings (a categorical one). */
export type DataColumn = readonly number[] | Float64Array | readonly string[];

/** Named columns of equal length, one feature each. */
export interface DataTable {
  /** Columns by feature name, in the order the features are sent. */
  readonly columns: Readonly<Record<string, DataColumn>>;
}

/**
 * A batch: a table, or tensors whose first dimension is the row (as `infer` takes them:
 * a list of inputs or `Tensor`s, or a record from tensor name to its elements).
 */
export type BatchData = DataTable | InferInputs;

/**
 * True when `data` is a {@link DataTable}: an object whose one key is `columns`, holding an
 * object. A record of inputs with one tensor named "columns" reads as a table too; send such
 * a tensor in the list form (`[{ name: 'columns', data }]`).
 */
export function isDataTable(data: BatchData): data is DataTable {
  if (Array.isArray(data)) return false;
  const keys = Object.keys(data);
  if (keys.length !== 1 || keys[0] !== 'columns') return false;
  const columns = (data as { columns: unknown }).columns;
  return (
    typeof columns === 'object' && columns !== null && !Array.isArray(columns) && !ArrayBuffer.isView(columns)
  );
}

function columnTensor(name: string, column: DataColumn): Tensor {
  const label = `column ${quoteName(name)}`;
  if (column instanceof Float64Array) return toTensor({ name, data: column, datatype: 'FP64' });
  if (!Array.isArray(column)) {
    throw new InvalidArgumentError(`${label}: must be an array of numbers or of strings`, { field: name });
  }
  const strings = typeof column[0] === 'string';
  column.forEach((value: unknown, row: number) => {
    if (typeof value !== (strings ? 'string' : 'number')) {
      throw new InvalidArgumentError(
        `${label}, row ${row}: ${JSON.stringify(value)} is not a ${strings ? 'string' : 'number'} like row 0 (a column holds one type)`,
        { field: name },
      );
    }
  });
  return strings
    ? toTensor({ name, data: column as readonly string[], shape: [column.length], datatype: 'BYTES' })
    : toTensor({ name, data: Float64Array.from(column as readonly number[]), datatype: 'FP64' });
}

/**
 * The tensors of a table, one per column.
 *
 * @throws InvalidArgumentError for no columns, an empty column, columns of unequal length,
 *   or a column mixing numbers and strings, naming the column (and row).
 */
export function tableTensors(table: DataTable): Tensor[] {
  const entries = Object.entries(table.columns);
  if (entries.length === 0) throw new InvalidArgumentError('columns: a table needs at least one column');
  const [firstName, first] = entries[0]!;
  for (const [name, column] of entries) {
    if (column.length === 0) {
      throw new InvalidArgumentError(`column ${quoteName(name)}: has no rows`, { field: name });
    }
    if (column.length !== first.length) {
      throw new InvalidArgumentError(
        `column ${quoteName(name)}: has ${column.length} rows, column ${quoteName(firstName)} has ${first.length}`,
        { field: name },
      );
    }
  }
  return entries.map(([name, column]) => columnTensor(name, column));
}

/**
 * The tensors of a batch: a table's columns, or the inputs as `infer` takes them.
 *
 * @throws InvalidArgumentError for a malformed table or input, or no tensor at all.
 */
export function batchTensors(data: BatchData): Tensor[] {
  const tensors = isDataTable(data) ? tableTensors(data) : toTensors(data);
  if (tensors.length === 0) throw new InvalidArgumentError('data: needs at least one tensor or column');
  return tensors;
}

/** The contract's tensor messages for a batch (raw contents, as the inference client sends). */
export function batchTensorMessages(data: BatchData): TensorMessage[] {
  return encodeTensorMessages(batchTensors(data), 'raw');
}
