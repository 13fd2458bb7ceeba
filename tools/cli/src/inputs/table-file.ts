/**
 * The data files of `drift fit --reference` and `drift score --data`: a CSV table with a
 * header (each column its own feature, named after it: numbers FP64, text BYTES), or an NPY
 * array sent as one tensor ([rows] is one feature, [rows, k] is k features `<name>[i]`),
 * as the SDK's drift client takes them.
 */
import path from 'node:path';
import type { DriftData, InferInput } from '@sightline/sdk';
import type { Progress } from '../frame/progress.js';
import { UsageError } from '../frame/usage-error.js';
import { parseCsvTable } from './csv-table.js';
import { readInputBytes } from './input-file.js';
import { parseNpyInput } from './npy-input.js';

/** The tensor name an NPY file's array is sent under (its features are `input[0]`, ...). */
export const DEFAULT_NPY_TENSOR_NAME = 'input';

/** One feature column as read, for the summary a command prints. */
export interface FileColumn {
  readonly name: string;
  readonly type: 'numeric' | 'categorical';
}

/** A data file, read. */
export interface TableFile {
  /** What the SDK sends. */
  readonly data: DriftData;
  readonly rows: number;
  /** CSV: the columns; NPY: the one tensor's name and its datatype's kind. */
  readonly columns: readonly FileColumn[];
}

/** The formats the flags read. */
const FORMATS = ['csv', 'npy'] as const;

/**
 * Reads a CSV or NPY data file for `flag` (by its extension).
 *
 * @throws UsageError naming the flag and file: unreadable, unknown extension, malformed
 *   (the line and column named), or an NPY array that is not 1-D or 2-D.
 */
export async function readTableFile(
  file: string,
  flag: string,
  options: { readonly progress: Progress; readonly npyTensorName?: string; readonly maxBytes?: number },
): Promise<TableFile> {
  const source = `${flag} ${file}`;
  const format = path.extname(file).slice(1).toLowerCase();
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`${source}: expected a .csv or .npy file`);
  }
  const bytes = await readInputBytes(file, {
    source,
    progress: options.progress,
    ...(options.maxBytes !== undefined && { maxBytes: options.maxBytes }),
  });
  if (format === 'csv') {
    const table = parseCsvTable(bytes.toString('utf8'), source);
    return {
      data: { columns: Object.fromEntries(table.columns.map((column) => [column.name, column.values])) },
      rows: table.rows,
      columns: table.columns.map(({ name, type }) => ({ name, type })),
    };
  }
  const parsed = parseNpyInput(bytes, source);
  if (parsed.shape.length < 1 || parsed.shape.length > 2) {
    throw new UsageError(
      `${source}: expected a 1-D array (one feature) or a 2-D array [rows, features], got shape [${parsed.shape.join(', ')}]`,
    );
  }
  const name = options.npyTensorName ?? DEFAULT_NPY_TENSOR_NAME;
  const input = {
    name,
    data: parsed.data.values,
    shape: parsed.shape,
    ...(parsed.storedAs !== undefined && { datatype: parsed.storedAs }),
  } as InferInput;
  const width = parsed.shape[1];
  return {
    data: [input],
    rows: parsed.shape[0]!,
    columns:
      width === undefined || width === 1
        ? [{ name, type: 'numeric' }]
        : Array.from({ length: width }, (_, i) => ({ name: `${name}[${i}]`, type: 'numeric' as const })),
  };
}
