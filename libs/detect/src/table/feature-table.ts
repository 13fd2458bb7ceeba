/**
 * The one data shape every detector fits on and scores: named columns of float64, each
 * numeric or categorical. Column-major because every per-feature test (KS, CVM, chi2,
 * effect sizes) walks one column at a time.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';

/** How a column is tested: numeric (KS, CVM, quantiles) or categorical (counts, chi2). */
export type ColumnKind = 'numeric' | 'categorical';

/**
 * The code a string category gets when the column's dictionary (kept with the fit) does not
 * hold it: every unseen string of a column falls into this one code, which no dictionary
 * entry uses (dictionary codes are 0, 1, 2 ...).
 */
export const UNSEEN_CATEGORY_CODE = -1;

/**
 * Names, kinds and category dictionaries of a table: what a fitted detector keeps so that
 * later tables are read the same way. Plain JSON.
 */
export interface TableSchema {
  readonly names: readonly string[];
  readonly kinds: readonly ColumnKind[];
  /**
   * Per column: for a categorical column read from strings, the strings in code order
   * (code i is `dictionaries[c][i]`); null for numeric columns and numeric-coded categories.
   */
  readonly dictionaries: readonly (readonly string[] | null)[];
}

/**
 * A batch of rows as columns. Categorical values are numeric codes: the value itself for a
 * numeric tensor, or the index in the column's dictionary for strings.
 */
export interface FeatureTable extends TableSchema {
  /** One Float64Array of `rows` values per column. */
  readonly columns: readonly Float64Array[];
  readonly rows: number;
  /**
   * Per column, how many cells held a value of the wrong type (a string that is no number
   * in a numeric column, a number in a string-category column). Those cells are NaN in
   * `columns`. Present only in tables built with `nonFinite: 'keep'` (the quality kind).
   */
  readonly typeViolations?: readonly number[];
}

/** The schema part of `table` (a copy that holds no column data). */
export function schemaOf(table: TableSchema): TableSchema {
  return {
    names: [...table.names],
    kinds: [...table.kinds],
    dictionaries: table.dictionaries.map((d) => (d === null ? null : [...d])),
  };
}

/** How many column names an error message lists before it says how many more there are. */
export const MESSAGE_MAX_LISTED_COLUMNS = 8;

/** `names` quoted for a message, the first {@link MESSAGE_MAX_LISTED_COLUMNS} of them. */
export function listColumns(names: readonly string[]): string {
  const shown = names.slice(0, MESSAGE_MAX_LISTED_COLUMNS).map((n) => quoteName(n));
  const more = names.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/**
 * Why input could not become a table: the reason a live scorer counts an unreadable event
 * under. `missing-tensor`: the event has no such tensor; `failed-request`: a response side
 * of a failed request; `empty`: no rows; `shape`: data and shape disagree or tensors differ
 * in rows; `width`: not the expected number of features; `unknown-column`: a named column
 * that does not exist; `non-finite`: NaN, infinite or empty; `type`: a string that is no
 * number, or a number where string categories were fitted.
 */
export type TableInputProblem =
  | 'missing-tensor'
  | 'failed-request'
  | 'empty'
  | 'shape'
  | 'width'
  | 'unknown-column'
  | 'non-finite'
  | 'type';

/** Bad table input (INVALID_ARGUMENT), with the kind of problem for counting. */
export class TableInputError extends InvalidArgumentError {
  constructor(
    readonly problem: TableInputProblem,
    message: string,
    field?: string,
  ) {
    super(message, field === undefined ? undefined : { field });
  }
}

/** How a message names row `row` (0-based): `row 17` by default; a CSV reader says `line 19`. */
export type RowLabel = (row: number) => string;

/** Rows named by their 0-based index in the batch. */
export const rowIndexLabel: RowLabel = (row) => `row ${row}`;

/** The error of a cell that broke a rule: `column "x", row 17: <rule>`. */
export function cellError(
  column: string,
  row: number,
  rule: string,
  problem: TableInputProblem = 'non-finite',
  label: RowLabel = rowIndexLabel,
): TableInputError {
  return new TableInputError(
    problem,
    `column ${quoteName(column)}, ${label(row)}: ${rule}`,
    `column ${quoteName(column)}`,
  );
}

/**
 * Throws unless every cell of every column is finite (NaN and +-Infinity are refused by
 * every kind but `quality`, which counts them).
 * @throws InvalidArgumentError naming the first bad cell's column and row.
 */
export function requireFinite(table: FeatureTable): void {
  for (let c = 0; c < table.columns.length; c++) {
    const column = table.columns[c]!;
    for (let r = 0; r < column.length; r++) {
      const v = column[r]!;
      if (!Number.isFinite(v)) throw cellError(table.names[c]!, r, `${v} is not allowed`);
    }
  }
}

/**
 * Throws unless `table` has exactly the columns of `schema`, in order and of the same kinds.
 * @throws InvalidArgumentError naming the missing, extra or mismatched column.
 */
export function requireSchema(table: TableSchema, schema: TableSchema): void {
  if (table.names.length !== schema.names.length) {
    throw new TableInputError(
      'width',
      `expected ${schema.names.length} features per row (${listColumns(schema.names)}), got ${table.names.length}`,
    );
  }
  for (let c = 0; c < schema.names.length; c++) {
    if (table.names[c] !== schema.names[c]) {
      throw new TableInputError(
        'unknown-column',
        `feature ${c} is ${quoteName(table.names[c]!)}, the detector was fitted with ${quoteName(schema.names[c]!)} there`,
        `column ${quoteName(table.names[c]!)}`,
      );
    }
    if (table.kinds[c] !== schema.kinds[c]) {
      throw new TableInputError(
        'type',
        `column ${quoteName(schema.names[c]!)} is ${table.kinds[c]}, the detector was fitted with it ${schema.kinds[c]}`,
        `column ${quoteName(schema.names[c]!)}`,
      );
    }
  }
}

/**
 * The rows of `tables` (all with the same names and kinds) one after another. String
 * categories are re-coded into the sorted union of the tables' dictionaries.
 * @throws InvalidArgumentError when the tables' columns differ, or there are none.
 */
export function concatTables(tables: readonly FeatureTable[]): FeatureTable {
  const first = tables[0];
  if (first === undefined) throw new TableInputError('empty', 'the batch is empty: no rows to join');
  for (const t of tables) requireSchema(t, first);
  const rows = tables.reduce((n, t) => n + t.rows, 0);
  const dictionaries = first.dictionaries.map((d, c) =>
    d === null ? null : [...new Set(tables.flatMap((t) => t.dictionaries[c] ?? []))].sort(),
  );
  const columns = first.names.map((_, c) => {
    const out = new Float64Array(rows);
    const union = dictionaries[c] ?? null;
    const codes = union === null ? null : new Map(union.map((s, i) => [s, i]));
    let at = 0;
    for (const t of tables) {
      const column = t.columns[c]!;
      const own = t.dictionaries[c] ?? null;
      if (codes === null || own === null) out.set(column, at);
      else {
        for (let r = 0; r < t.rows; r++) {
          const v = column[r]!;
          out[at + r] = Number.isInteger(v) && v >= 0 ? codes.get(own[v]!)! : v;
        }
      }
      at += t.rows;
    }
    return out;
  });
  const violations = tables.every((t) => t.typeViolations !== undefined)
    ? first.names.map((_, c) => tables.reduce((n, t) => n + t.typeViolations![c]!, 0))
    : undefined;
  return {
    names: [...first.names],
    kinds: [...first.kinds],
    dictionaries,
    columns,
    rows,
    ...(violations === undefined ? {} : { typeViolations: violations }),
  };
}

/** The rows `[start, end)` of `table` as a new table (copies). */
export function sliceRows(table: FeatureTable, start: number, end: number): FeatureTable {
  return {
    ...schemaOf(table),
    columns: table.columns.map((c) => c.slice(start, end)),
    rows: Math.max(0, Math.min(end, table.rows) - start),
  };
}

/** The table's rows as one row-major array (row i, column j at `i * cols + j`). */
export function toRowMajor(table: FeatureTable): Float64Array {
  const cols = table.columns.length;
  const out = new Float64Array(table.rows * cols);
  for (let c = 0; c < cols; c++) {
    const column = table.columns[c]!;
    for (let r = 0; r < table.rows; r++) out[r * cols + c] = column[r]!;
  }
  return out;
}

/** A table of `schema` from row-major values (`rows * schema.names.length` of them). */
export function fromRowMajor(schema: TableSchema, values: Float64Array, rows: number): FeatureTable {
  const cols = schema.names.length;
  const columns: Float64Array[] = [];
  for (let c = 0; c < cols; c++) {
    const column = new Float64Array(rows);
    for (let r = 0; r < rows; r++) column[r] = values[r * cols + c]!;
    columns.push(column);
  }
  return { ...schemaOf(schema), columns, rows };
}
