/**
 * A FeatureTable from CSV text with a header row (RFC 4180: quoted fields, doubled quotes,
 * CRLF or LF), numbers as numpy and pandas write them (`1e-05`, `nan`, `inf`, `-inf`, an
 * empty field for a missing value). The drift and outlier services both take reference and
 * scoring data as uploaded CSV; errors name the line (and column) so a user can find it.
 */
import { quoteName } from '@sightline/errors';
import { type FeatureTable, TableInputError } from './feature-table.js';
import { type TableBuildOptions, tableFromTensors } from './table-from-tensors.js';

/** Most data rows a CSV may hold by default (every cell is held in memory while it is read). */
export const DEFAULT_CSV_MAX_ROWS = 1_000_000;

/** How {@link tableFromCsv} reads. */
export interface CsvTableOptions extends Omit<TableBuildOptions, 'columnNames' | 'rowLabel'> {
  /** Header names to leave out, e.g. `label` in an evaluation file (absent ones are fine). */
  readonly ignoreColumns?: readonly string[];
  /** One character (default `,`). */
  readonly delimiter?: string;
  /** Most data rows (default {@link DEFAULT_CSV_MAX_ROWS}). */
  readonly maxRows?: number;
}

function csvError(problem: 'shape' | 'empty' | 'width', message: string): TableInputError {
  return new TableInputError(problem, message, 'csv');
}

/** Records of `text` with the line each starts on (1-based). */
function parseRecords(
  text: string,
  delimiter: string,
  maxRecords: number,
): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let quoted = false;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    // A blank line (one empty field) separates nothing: skipped, as pandas does.
    if (!(fields.length === 1 && fields[0] === '' && !fieldStarted))
      records.push({ fields, line: recordLine });
    if (records.length > maxRecords) {
      throw csvError('shape', `the CSV has more than ${maxRecords - 1} data rows (maxRows)`);
    }
    fields = [];
    field = '';
    fieldStarted = false;
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quoted = false;
        i++;
        const next = text[i];
        if (next !== undefined && next !== delimiter && next !== '\n' && next !== '\r') {
          throw csvError('shape', `line ${line}: a character follows a closing quote`);
        }
        continue;
      }
      if (ch === '\n') line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"' && field === '') {
      quoted = true;
      fieldStarted = true;
      i++;
    } else if (ch === delimiter) {
      fields.push(field);
      field = '';
      fieldStarted = true;
      i++;
    } else if (ch === '\r' || ch === '\n') {
      endRecord();
      i += ch === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
      i++;
    }
  }
  if (quoted) throw csvError('shape', `line ${recordLine}: a quoted field is not closed`);
  if (field !== '' || fields.length > 0 || fieldStarted) endRecord();
  return records;
}

/**
 * The table of a CSV with a header row; every column numeric unless named `categorical`
 * (or so in `schema`).
 * @throws InvalidArgumentError naming the line (and column): an unclosed quote, a row of
 *   another width than the header, an empty or repeated header name, no data rows, more
 *   than `maxRows`, and every cell rule of `tableFromTensors` (`column "x", line 17: ...`).
 */
export function tableFromCsv(text: string, options: CsvTableOptions = {}): FeatureTable {
  const delimiter = options.delimiter ?? ',';
  const maxRows = options.maxRows ?? DEFAULT_CSV_MAX_ROWS;
  const records = parseRecords(text, delimiter, maxRows + 1);
  const header = records[0];
  if (header === undefined) throw csvError('empty', 'the CSV is empty: no header row');
  const seen = new Set<string>();
  header.fields.forEach((name, c) => {
    if (name.trim() === '') {
      throw csvError(
        'shape',
        `line ${header.line}, column ${c + 1}: the header name is empty (a pandas index? write with index=False)`,
      );
    }
    if (seen.has(name))
      throw csvError('shape', `line ${header.line}: column ${quoteName(name)} appears twice`);
    seen.add(name);
  });
  const rows = records.slice(1);
  if (rows.length === 0) throw csvError('empty', 'the CSV has a header but no data rows');
  for (const r of rows) {
    if (r.fields.length !== header.fields.length) {
      throw csvError(
        'width',
        `line ${r.line}: ${r.fields.length} fields, the header has ${header.fields.length}`,
      );
    }
  }
  const ignored = new Set(options.ignoreColumns ?? []);
  const kept = header.fields.map((name, c) => ({ name, c })).filter((h) => !ignored.has(h.name));
  const tensors = kept.map(({ name, c }) => {
    // Cells go as text: tableFromTensors reads numbers by its one rule for text (numeric-text.ts).
    const data = rows.map((r) => r.fields[c]!);
    return { name, shape: [rows.length], data };
  });
  const { ignoreColumns: _ignored, delimiter: _delimiter, maxRows: _maxRows, ...build } = options;
  return tableFromTensors(tensors, {
    ...build,
    columnNames: kept.map((k) => k.name),
    rowLabel: (row) => `line ${rows[row]!.line}`,
  });
}
