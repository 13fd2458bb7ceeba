/**
 * CSV inputs (`--input-file rows.csv`): each row one example, read with csv-parse into a
 * `[rows, columns]` FP32 tensor whose name comes from `--input-name` or the model's first
 * input.
 *
 * A first row with any cell that is not a number is a header (column names) and is not
 * data. `--csv-columns` picks and orders columns, by header name or 0-based index (the
 * iris example: `--csv-columns sepal_length,sepal_width,petal_length,petal_width` drops the
 * label). Cells are numbers as JavaScript writes them, plus `nan`, `inf` and `-inf` in any
 * case as Python writes them; blank lines are skipped; every row must have as many cells as
 * the first.
 */
import { parse } from 'csv-parse/sync';
import { UsageError } from '../frame/usage-error.js';
import type { ParsedInput } from './parsed-input.js';

const SPECIAL: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** A cell's number, or undefined when it is not one. */
export function csvNumber(cell: string): number | undefined {
  const trimmed = cell.trim();
  if (NUMBER.test(trimmed)) return Number(trimmed);
  const special = trimmed.toLowerCase();
  // Own keys only: a cell "constructor" or "__proto__" would otherwise find Object.prototype's.
  return Object.hasOwn(SPECIAL, special) ? SPECIAL[special] : undefined;
}

function readRows(text: string, source: string): string[][] {
  try {
    return parse(text, { skip_empty_lines: true, trim: true, bom: true }) as string[][];
  } catch (error) {
    throw new UsageError(`${source}: not valid CSV (${(error as Error).message})`);
  }
}

function pickColumns(
  header: readonly string[] | undefined,
  width: number,
  columns: readonly string[],
  source: string,
): number[] {
  return columns.map((column) => {
    const byName = header?.indexOf(column) ?? -1;
    if (byName !== -1) return byName;
    if (/^\d+$/.test(column) && Number(column) < width) return Number(column);
    const known = header
      ? `columns ${header.map((h) => JSON.stringify(h)).join(', ')}`
      : `${width} columns (0-${width - 1})`;
    throw new UsageError(
      `--csv-columns: ${JSON.stringify(column)} is not a column of ${source}, which has ${known}`,
    );
  });
}

/**
 * Reads CSV text as one `[rows, columns]` FP32 input.
 *
 * @param columns - the `--csv-columns` selection; all columns when undefined.
 * @throws UsageError naming the file, the row (1-based line of data) and the column.
 */
export function parseCsvInput(text: string, source: string, columns?: readonly string[]): ParsedInput {
  const rows = readRows(text, source);
  if (rows.length === 0) throw new UsageError(`${source}: no rows`);
  const hasHeader = rows[0]!.some((cell) => csvNumber(cell) === undefined);
  const header = hasHeader ? rows[0] : undefined;
  const body = hasHeader ? rows.slice(1) : rows;
  if (body.length === 0) throw new UsageError(`${source}: a header but no data rows`);
  const width = rows[0]!.length;
  const picked =
    columns === undefined ? [...Array(width).keys()] : pickColumns(header, width, columns, source);
  const values = new Float32Array(body.length * picked.length);
  body.forEach((row, r) => {
    picked.forEach((column, c) => {
      const cell = row[column] ?? '';
      const value = csvNumber(cell);
      if (value === undefined) {
        const name = header ? ` (${JSON.stringify(header[column])})` : '';
        throw new UsageError(
          `${source}: row ${r + 1}, column ${column}${name}: ${JSON.stringify(cell)} is not a number`,
        );
      }
      values[r * picked.length + c] = value;
    });
  });
  return { storedAs: 'FP32', shape: [body.length, picked.length], data: { kind: 'number', values } };
}
