/**
 * CSV tables (`drift fit --reference data.csv`, `drift score --data batch.csv`): a header
 * row naming the columns, then one row per example, read with csv-parse into named columns
 * the SDK sends as one tensor each.
 *
 * A column whose every cell is a number (as numpy and pandas write them: `1.5`, `1e-05`,
 * `nan`, `inf`, `-inf`) or empty (pandas' missing value, read as NaN) is numeric (FP64);
 * any other column is text, a categorical feature (BYTES). Blank lines are skipped; every
 * row must have as many cells as the header. A malformed file is a usage error naming the
 * line and the column.
 */
import { parse } from 'csv-parse/sync';
import { UsageError } from '../frame/usage-error.js';
import { csvNumber } from './csv-input.js';

/** One column as read. */
export type TableColumn =
  | { readonly name: string; readonly type: 'numeric'; readonly values: Float64Array }
  | { readonly name: string; readonly type: 'categorical'; readonly values: string[] };

/** A CSV file as named, typed columns. */
export interface CsvTable {
  /** In the header's order. */
  readonly columns: readonly TableColumn[];
  /** Data rows (the header not counted). */
  readonly rows: number;
}

/** csv-parse's error fields this reader reports. */
interface CsvParseError {
  readonly code?: string;
  readonly message: string;
  readonly lines?: number;
  readonly index?: number;
  readonly record?: readonly string[];
}

/** Why csv-parse refused the text, as one clause. */
function reasonOf(error: CsvParseError, width: number | undefined): string {
  switch (error.code) {
    case 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH':
      return `expected ${width ?? 'as many'} cells like the header, got ${error.record?.length ?? 'another number'}`;
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quote is opened and never closed';
    case 'INVALID_OPENING_QUOTE':
      return 'a quote in the middle of a cell (quote the whole cell, doubling quotes inside)';
    default:
      // csv-parse's own sentence, without its trailing position (given in front here).
      return error.message.replace(/\s+(?:on|at) line \d+.*$/, '');
  }
}

/**
 * The text's records as strings, header included (blank lines skipped, cells trimmed).
 * @throws UsageError naming the line and the column of malformed CSV.
 */
export function readCsvRecords(text: string, source: string): string[][] {
  try {
    return parse(text, { skip_empty_lines: true, trim: true, bom: true }) as string[][];
  } catch (error) {
    const e = error as CsvParseError;
    const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0];
    const width =
      firstLine === undefined
        ? undefined
        : parse(`${firstLine}\n`, { relax_quotes: true, trim: true })[0]?.length;
    const line = e.lines ?? 0;
    const cells = e.record?.length;
    // A row of another width: the first missing or extra cell, not where csv-parse stopped.
    const column =
      e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && cells !== undefined && width !== undefined
        ? Math.min(cells, width) + 1
        : (e.index ?? 0) + 1;
    throw new UsageError(`${source}: line ${line}, column ${column}: ${reasonOf(e, width)}`, {
      cause: error,
    });
  }
}

/**
 * Parses CSV text with a header into typed columns.
 *
 * @param source - how the file is named in messages, e.g. `--reference ref.csv`.
 * @throws UsageError naming the line and the column: malformed CSV, a row of another width,
 *   an empty or repeated header name, no data rows.
 */
export function parseCsvTable(text: string, source: string): CsvTable {
  const records = readCsvRecords(text, source);
  if (records.length === 0) throw new UsageError(`${source}: empty; expected a header row and data rows`);
  const header = records[0]!;
  const seen = new Set<string>();
  header.forEach((name, c) => {
    if (name === '') throw new UsageError(`${source}: line 1, column ${c + 1}: the header names no column`);
    if (seen.has(name))
      throw new UsageError(
        `${source}: line 1, column ${c + 1}: column ${JSON.stringify(name)} appears twice in the header`,
      );
    seen.add(name);
  });
  const body = records.slice(1);
  if (body.length === 0) throw new UsageError(`${source}: a header but no data rows`);
  const columns = header.map((name, c): TableColumn => {
    const numbers = new Float64Array(body.length);
    let numeric = true;
    for (let r = 0; r < body.length && numeric; r++) {
      const cell = body[r]![c]!;
      const value = cell === '' ? Number.NaN : csvNumber(cell);
      if (value === undefined) numeric = false;
      else numbers[r] = value;
    }
    if (numeric) return { name, type: 'numeric', values: numbers };
    return { name, type: 'categorical', values: body.map((row) => row[c]!) };
  });
  return { columns, rows: body.length };
}
