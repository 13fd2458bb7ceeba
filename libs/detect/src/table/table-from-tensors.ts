/**
 * Builds a FeatureTable from plain tensors (`[rows, ...features]`, flattened per row), the
 * one entry every other builder (events, CSV rows decoded by a service) goes through, so
 * every source gets the same names, checks and messages.
 */
import { quoteName } from '@sightline/errors';
import { bf16ToNumber, fp16ToNumber } from '@sightline/tensor';
import {
  type ColumnKind,
  cellError,
  type FeatureTable,
  listColumns,
  type RowLabel,
  requireSchema,
  rowIndexLabel,
  TableInputError,
  type TableSchema,
  UNSEEN_CATEGORY_CODE,
} from './feature-table.js';
import { float32Decimal } from './float32-decimal.js';
import { DECIMAL_NUMBER_TEXT, parseNumericText } from './numeric-text.js';

/** Numbers, 64-bit integers, strings or UTF-8 byte strings (the BYTES datatype). */
export type PlainTensorData =
  | ArrayLike<number>
  | BigInt64Array
  | BigUint64Array
  | readonly string[]
  | readonly Uint8Array[];

/** A tensor as the builders take it: a name, a shape whose first dimension is the rows, elements. */
export interface PlainTensor {
  readonly name: string;
  /** `[rows]` (one feature) or `[rows, d1, d2 ...]` (a row is the d1*d2*... elements flattened). */
  readonly shape: readonly number[];
  readonly data: PlainTensorData;
  /**
   * The V2 datatype where known; only FP16 and BF16 change how `data` is read (16-bit
   * patterns in a Uint16Array, as @sightline/tensor keeps them).
   */
  readonly datatype?: string;
}

/** What to do with NaN, +-Infinity, empty and wrongly typed cells. */
export type NonFinitePolicy = 'refuse' | 'keep';

/** How {@link tableFromTensors} names, picks and reads columns. */
export interface TableBuildOptions {
  /**
   * Names of every feature of the tensors, in order (tensor by tensor, row elements
   * flattened); without them feature i of tensor `t` is `t[i]`.
   */
  readonly columnNames?: readonly string[];
  /** Keep only these columns, in this order (names after `columnNames`). */
  readonly columns?: readonly string[];
  /** Columns to treat as categorical (the rest are numeric). Ignored when `schema` is given. */
  readonly categorical?: readonly string[];
  /**
   * The schema of a fitted detector: the table gets exactly its columns (by name, or by
   * position when the tensors are unnamed), its kinds and its category dictionaries. Without
   * `columns`, rows must have the fitted width: wider ones are refused, not cut.
   */
  readonly schema?: TableSchema;
  /**
   * `refuse` (default): a NaN, infinite, empty or wrongly typed cell is an error naming its
   * column and row. `keep`: it is kept as NaN/Infinity and counted (the quality kind).
   */
  readonly nonFinite?: NonFinitePolicy;
  /** How messages name a row (default `row <index>`). */
  readonly rowLabel?: RowLabel;
}

type Cell = number | string;

interface ColumnSource {
  readonly read: (row: number) => Cell;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

function cellReader(tensor: PlainTensor): (index: number) => Cell {
  const data = tensor.data;
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return (i) => Number(data[i]!);
  if (tensor.datatype === 'FP16') return (i) => fp16ToNumber((data as ArrayLike<number>)[i]!);
  if (tensor.datatype === 'BF16') return (i) => bf16ToNumber((data as ArrayLike<number>)[i]!);
  if (Array.isArray(data)) {
    return (i) => {
      const v: unknown = data[i];
      if (typeof v === 'string') return v;
      if (v instanceof Uint8Array) return utf8.decode(v);
      return v as number;
    };
  }
  const numbers = data as ArrayLike<number>;
  if (data instanceof Float32Array || tensor.datatype === 'FP32') return (i) => float32Decimal(numbers[i]!);
  return (i) => numbers[i]!;
}

function rowsAndWidth(tensor: PlainTensor): { rows: number; width: number } {
  // Names are quoted only on the error path: this runs once per event on the live path.
  const refuse = (rule: string) =>
    new TableInputError(
      'shape',
      `tensor ${quoteName(tensor.name)}: ${rule}`,
      `tensor ${quoteName(tensor.name)}`,
    );
  if (tensor.shape.length === 0) throw refuse('a scalar has no rows; expected shape [rows, features...]');
  let width = 1;
  for (let i = 0; i < tensor.shape.length; i++) {
    const d = tensor.shape[i]!;
    if (!Number.isInteger(d) || d < 0) throw refuse(`dimension ${d} of shape [${tensor.shape}] is invalid`);
    if (i > 0) width *= d;
  }
  const rows = tensor.shape[0]!;
  if (tensor.data.length !== rows * width) {
    throw refuse(`shape [${tensor.shape}] needs ${rows * width} elements, got ${tensor.data.length}`);
  }
  return { rows, width };
}

function findColumn(names: readonly string[], wanted: string, what: string): number {
  const index = names.indexOf(wanted);
  if (index < 0) {
    throw new TableInputError(
      'unknown-column',
      `${what} column ${quoteName(wanted)} does not exist; the columns are ${listColumns(names)}`,
      `column ${quoteName(wanted)}`,
    );
  }
  return index;
}

/**
 * The FeatureTable of `tensors` (all with the same number of rows).
 * @throws InvalidArgumentError for no tensors or no rows, a shape that does not match the
 *   data, tensors of different row counts, a wrong number of column names, an unknown
 *   column, a width other than the schema's (without `columns`: wider rows too, naming
 *   the tensor and the expected and actual elements per row), or (policy `refuse`) a NaN, infinite, empty or
 *   wrongly typed cell, naming the column and row.
 */
export function tableFromTensors(
  tensors: readonly PlainTensor[],
  options: TableBuildOptions = {},
): FeatureTable {
  if (tensors.length === 0) throw new TableInputError('empty', 'the batch is empty: no tensors given');
  const sources: ColumnSource[] = [];
  const defaultNames: string[] = [];
  let rows = -1;
  let firstName = '';
  for (const tensor of tensors) {
    const shape = rowsAndWidth(tensor);
    if (rows < 0) {
      rows = shape.rows;
      firstName = tensor.name;
    } else if (shape.rows !== rows) {
      throw new TableInputError(
        'shape',
        `tensor ${quoteName(tensor.name)} has ${shape.rows} rows, tensor ${quoteName(firstName)} has ${rows}`,
        `tensor ${quoteName(tensor.name)}`,
      );
    }
    const read = cellReader(tensor);
    for (let j = 0; j < shape.width; j++) {
      defaultNames.push(`${tensor.name}[${j}]`);
      sources.push({ read: (r) => read(r * shape.width + j) });
    }
  }
  if (rows === 0) {
    throw new TableInputError(
      'empty',
      `the batch is empty: tensor ${quoteName(firstName)} has 0 rows`,
      `tensor ${quoteName(firstName)}`,
    );
  }
  let names = defaultNames;
  if (options.columnNames !== undefined) {
    if (options.columnNames.length !== defaultNames.length) {
      throw new TableInputError(
        'width',
        `${options.columnNames.length} column names given for ${defaultNames.length} features per row`,
      );
    }
    const seen = new Set<string>();
    for (const n of options.columnNames) {
      if (seen.has(n)) throw new TableInputError('width', `column name ${quoteName(n)} is given twice`);
      seen.add(n);
    }
    names = [...options.columnNames];
  }
  const schema = options.schema;
  if (schema !== undefined && options.columns === undefined && names.length !== schema.names.length) {
    // Without a pick, tensors are read as at fit: every element of a row is a feature, so a
    // row wider than the fitted one is as wrong as a narrower one (never cut to the fitted
    // width, whether its features are named or not).
    const which = tensors.map((t) => quoteName(t.name)).join(', ');
    throw new TableInputError(
      'width',
      `${tensors.length === 1 ? 'tensor' : 'tensors'} ${which}: expected ${schema.names.length} elements per row (${listColumns(schema.names)}), got ${names.length}`,
      `tensor ${quoteName(tensors[0]!.name)}`,
    );
  }
  let picked: number[];
  if (options.columns !== undefined) {
    picked = options.columns.map((c) => findColumn(names, c, 'selected'));
  } else if (schema?.names.every((n) => names.includes(n))) {
    picked = schema.names.map((n) => names.indexOf(n));
  } else if (
    schema !== undefined &&
    options.columnNames === undefined &&
    names.length === schema.names.length
  ) {
    // Unnamed tensors of the fitted width are read by position: a model's input carries no names.
    names = [...schema.names];
    picked = names.map((_, i) => i);
  } else {
    picked = names.map((_, i) => i);
  }
  const pickedNames = picked.map((i) => names[i]!);
  let kinds: ColumnKind[];
  let dictionaries: (readonly string[] | null)[];
  if (schema !== undefined) {
    requireSchema({ names: pickedNames, kinds: schema.kinds, dictionaries: schema.dictionaries }, schema);
    kinds = [...schema.kinds];
    dictionaries = [...schema.dictionaries];
  } else {
    const categorical = new Set<string>();
    for (const c of options.categorical ?? []) {
      findColumn(pickedNames, c, 'categorical');
      categorical.add(c);
    }
    kinds = pickedNames.map((n) => (categorical.has(n) ? 'categorical' : 'numeric'));
    dictionaries = picked.map((source, c) =>
      kinds[c] === 'categorical' ? dictionaryOf(sources[source]!, rows) : null,
    );
  }
  const keep = options.nonFinite === 'keep';
  const label = options.rowLabel ?? rowIndexLabel;
  const typeViolations: number[] = [];
  const columns = picked.map((source, c) => {
    const read = readColumn(
      sources[source]!,
      rows,
      pickedNames[c]!,
      kinds[c]!,
      dictionaries[c]!,
      keep,
      label,
    );
    typeViolations.push(read.typeViolations);
    return read.values;
  });
  return {
    names: pickedNames,
    kinds,
    dictionaries,
    columns,
    rows,
    ...(keep ? { typeViolations } : {}),
  };
}

/** The sorted distinct strings of a column, or null when it holds numbers (numeric codes). */
function dictionaryOf(source: ColumnSource, rows: number): readonly string[] | null {
  const first = source.read(0);
  if (typeof first !== 'string') return null;
  const seen = new Set<string>();
  for (let r = 0; r < rows; r++) {
    const v = source.read(r);
    seen.add(typeof v === 'string' ? v : String(v));
  }
  return [...seen].sort();
}

function readColumn(
  source: ColumnSource,
  rows: number,
  name: string,
  kind: ColumnKind,
  dictionary: readonly string[] | null,
  keep: boolean,
  label: RowLabel,
): { values: Float64Array; typeViolations: number } {
  const values = new Float64Array(rows);
  const codes = dictionary === null ? null : new Map(dictionary.map((s, i) => [s, i]));
  let typeViolations = 0;
  const violation = (r: number, rule: string): number => {
    if (!keep) throw cellError(name, r, rule, 'type', label);
    typeViolations++;
    return Number.NaN;
  };
  for (let r = 0; r < rows; r++) {
    const cell = source.read(r);
    let v: number;
    if (codes !== null) {
      v =
        typeof cell === 'string'
          ? (codes.get(cell) ?? UNSEEN_CATEGORY_CODE)
          : violation(r, `${cell} is a number; the column's categories are strings`);
    } else if (typeof cell === 'string') {
      if (cell.trim() === '') {
        if (!keep) throw cellError(name, r, 'an empty value is not allowed', 'non-finite', label);
        v = Number.NaN;
      } else {
        const parsed = parseNumericText(cell);
        v =
          parsed ??
          violation(
            r,
            `${quoteName(cell)} is not a number${kind === 'categorical' ? ' (a category code)' : ''}`,
          );
      }
    } else {
      v = cell;
    }
    if (!keep && !Number.isFinite(v)) {
      // Text is quoted as written: "1e400" is a decimal past FP64, not an "Infinity" the caller sent.
      const rule =
        typeof cell !== 'string' || codes !== null
          ? `${v} is not allowed`
          : DECIMAL_NUMBER_TEXT.test(cell.trim())
            ? `${quoteName(cell)} is beyond the FP64 range (${v}) and is not allowed`
            : `${quoteName(cell)} (${v}) is not allowed`;
      throw cellError(name, r, rule, 'non-finite', label);
    }
    values[r] = v;
  }
  return { values, typeViolations };
}
