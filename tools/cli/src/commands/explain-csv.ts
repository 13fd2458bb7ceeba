/**
 * `--instances FILE.csv` and `--background FILE.csv` for `sightline explain`: a CSV with a
 * header whose names become the feature names, read into a row-major table of finite numbers,
 * and that table cut into the model's input tensors (its ModelMetadata: names, datatypes,
 * per-row shapes), features in the order the explainer flattens them (each input's elements,
 * inputs in the metadata's order).
 *
 * `--columns a,b,c` picks and orders the columns (a label column in the file is left out so);
 * without it every column is a feature. The background is read by the instances' feature
 * names, so its columns may come in any order and carry extra ones.
 */
import type { TensorMetadata } from '@sightline/sdk';
import { isDatatype, type Tensor } from '@sightline/tensor';
import { UsageError } from '../frame/usage-error.js';
import { parseCsvTable } from '../inputs/csv-table.js';
import { toTensor } from '../inputs/to-tensor.js';

/** Rows of features, row-major, with the features' names. */
export interface FeatureTable {
  readonly names: readonly string[];
  readonly rows: number;
  /** rows × names.length values, row-major. */
  readonly values: Float64Array;
}

/**
 * Reads a CSV with a header into a feature table.
 *
 * @param columns - the columns kept, in this order (`--columns`); every column when unset.
 * @throws UsageError naming the file, the line and the column: malformed CSV, a column that is
 *   not there, a cell that is not a finite number.
 */
export function parseFeatureCsv(text: string, source: string, columns?: readonly string[]): FeatureTable {
  const table = parseCsvTable(text, source);
  const byName = new Map(table.columns.map((column) => [column.name, column]));
  const names = columns ?? table.columns.map((column) => column.name);
  if (names.length === 0) throw new UsageError('--columns: names no column');
  const values = new Float64Array(table.rows * names.length);
  names.forEach((name, c) => {
    const column = byName.get(name);
    if (column === undefined) {
      throw new UsageError(
        `${source}: no column ${JSON.stringify(name)}; its columns are ${table.columns.map((k) => JSON.stringify(k.name)).join(', ')}`,
      );
    }
    for (let r = 0; r < table.rows; r++) {
      const value = column.type === 'numeric' ? column.values[r]! : Number.NaN;
      if (!Number.isFinite(value)) {
        const cell = column.type === 'numeric' ? String(value) : column.values[r];
        // Line 1 is the header, so data row r is line r + 2 (blank lines aside).
        throw new UsageError(
          `${source}: row ${r + 1}, column ${JSON.stringify(name)}: must be a finite number, got ${JSON.stringify(cell)}${column.type === 'numeric' ? '' : ' (leave a text column out with --columns)'}`,
        );
      }
      values[r * names.length + c] = value;
    }
  });
  return { names, rows: table.rows, values };
}

/** The same features as `like`, in its order, from another table (the background). */
export function alignFeatures(table: FeatureTable, like: readonly string[], source: string): FeatureTable {
  const index = like.map((name) => {
    const i = table.names.indexOf(name);
    if (i === -1)
      throw new UsageError(`${source}: no column ${JSON.stringify(name)}, a feature of the instances`);
    return i;
  });
  const values = new Float64Array(table.rows * like.length);
  for (let r = 0; r < table.rows; r++) {
    index.forEach((i, c) => {
      values[r * like.length + c] = table.values[r * table.names.length + i]!;
    });
  }
  return { names: like, rows: table.rows, values };
}

/** Elements per row of a model input: its shape after the batch dimension. */
function perRowShape(input: TensorMetadata, model: string): number[] {
  const shape = input.shape.slice(1);
  if (shape.some((d) => d < 0)) {
    throw new UsageError(
      `model ${JSON.stringify(model)}: input ${JSON.stringify(input.name)} has a variable dimension after the batch ([${input.shape.join(', ')}]), so CSV columns cannot be mapped to it`,
    );
  }
  return shape;
}

/**
 * Cuts a feature table into the model's input tensors, `[rows, ...per-row shape]` each, in
 * the metadata's datatypes.
 * @throws UsageError when the column count is not the model's feature count, or a value does
 *   not fit an integer datatype.
 */
export function tableTensors(
  table: FeatureTable,
  inputs: readonly TensorMetadata[],
  model: string,
  source: string,
): Tensor[] {
  const shapes = inputs.map((input) => perRowShape(input, model));
  const sizes = shapes.map((shape) => shape.reduce((a, b) => a * b, 1));
  const features = sizes.reduce((a, b) => a + b, 0);
  const width = table.names.length;
  if (width !== features) {
    const described = inputs.map((input, i) => `${input.name} [${shapes[i]!.join(', ')}]`).join(', ');
    throw new UsageError(
      `${source}: ${width} columns (${table.names.join(', ')}) but model ${JSON.stringify(model)} takes ${features} features per row (${described}); pick them with --columns`,
    );
  }
  let offset = 0;
  return inputs.map((input, i) => {
    const size = sizes[i]!;
    const values = new Float64Array(table.rows * size);
    for (let r = 0; r < table.rows; r++) {
      values.set(table.values.subarray(r * width + offset, r * width + offset + size), r * size);
    }
    offset += size;
    return toTensor(
      { storedAs: 'FP64', shape: [table.rows, ...shapes[i]!], data: { kind: 'number', values } },
      input.name,
      isDatatype(input.datatype) ? { declared: input.datatype } : {},
    );
  });
}
