/**
 * `--input-file PATH`: reads the file (with a progress bar when it is big and stderr is a
 * terminal), or standard input for `-`, and parses it by its format: `--input-format`, else
 * the extension (.json, .csv, .npy).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Progress } from '../frame/progress.js';
import { UsageError } from '../frame/usage-error.js';
import { parseCsvInput } from './csv-input.js';
import { parseJsonInputs } from './json-input.js';
import { parseNpyInput } from './npy-input.js';
import type { ParsedInput } from './parsed-input.js';

/** The formats `--input-file` reads. */
export const INPUT_FORMATS = ['json', 'csv', 'npy'] as const;
/** One of {@link INPUT_FORMATS}. */
export type InputFormat = (typeof INPUT_FORMATS)[number];

/** The largest input file read by default, in bytes (the whole file is held in memory). */
export const DEFAULT_MAX_INPUT_FILE_BYTES = 1024 ** 3;
/** Files from this size up get a progress bar (when stderr is a terminal), in bytes. */
export const PROGRESS_MIN_BYTES = 8 * 1024 ** 2;

/** The format named by `--input-format`, else by the file's extension (`-`, standard input, has none). */
export function inputFormatOf(file: string, flag?: string): InputFormat {
  if (file === '-' && flag === undefined) {
    throw new UsageError(
      `--input-file -: standard input has no extension; pass --input-format ${INPUT_FORMATS.join('|')}`,
    );
  }
  const name = (flag ?? path.extname(file).slice(1)).toLowerCase();
  if ((INPUT_FORMATS as readonly string[]).includes(name)) return name as InputFormat;
  if (flag !== undefined)
    throw new UsageError(
      `--input-format: expected one of ${INPUT_FORMATS.join(', ')}, got ${JSON.stringify(flag)}`,
    );
  throw new UsageError(
    `--input-file ${file}: cannot tell the format from the extension; pass --input-format ${INPUT_FORMATS.join('|')}`,
  );
}

/** Reads standard input whole, refusing more than `max` bytes. */
async function readStdin(input: NodeJS.ReadableStream, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    size += (chunk as Buffer).length;
    if (size > max)
      throw new UsageError(
        `--input-file -: standard input is over the ${max}-byte limit (--max-input-bytes)`,
      );
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

async function readWithProgress(file: string, size: number, progress: Progress): Promise<Buffer> {
  const bar =
    size >= PROGRESS_MIN_BYTES ? progress.bar(`reading ${path.basename(file)}`, size, 'bytes') : undefined;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of createReadStream(file)) {
      chunks.push(chunk as Buffer);
      bar?.increment((chunk as Buffer).length);
    }
  } finally {
    bar?.stop();
  }
  return Buffer.concat(chunks);
}

/**
 * Reads a whole file (or standard input for `-`) for a flag, with a progress bar when it is
 * big and stderr is a terminal.
 *
 * @param source - how the file is named in messages, e.g. `--input-file x.csv`.
 * @throws UsageError naming the file when it cannot be read or is over `maxBytes`.
 */
export async function readInputBytes(
  file: string,
  options: {
    readonly source: string;
    readonly maxBytes?: number;
    readonly progress: Progress;
    /** Where `-` reads from; process.stdin by default. */
    readonly stdin?: NodeJS.ReadableStream;
  },
): Promise<Buffer> {
  const { source } = options;
  const max = options.maxBytes ?? DEFAULT_MAX_INPUT_FILE_BYTES;
  try {
    if (file === '-') return await readStdin(options.stdin ?? process.stdin, max);
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`${source}: not a file`);
    if (info.size > max)
      throw new UsageError(`${source}: ${info.size} bytes is over the ${max}-byte limit (--max-input-bytes)`);
    return await readWithProgress(file, info.size, options.progress);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new UsageError(`${source}: cannot read the file (${reason})`);
  }
}

/**
 * Reads and parses an input file.
 *
 * @throws UsageError naming the file when it cannot be read, is too big, or does not parse.
 */
export async function readInputFile(
  file: string,
  options: {
    readonly format?: string;
    readonly csvColumns?: readonly string[];
    readonly maxBytes?: number;
    readonly progress: Progress;
    /** Where `-` reads from; process.stdin by default. */
    readonly stdin?: NodeJS.ReadableStream;
  },
): Promise<ParsedInput[]> {
  const format = inputFormatOf(file, options.format);
  const source = `--input-file ${file}`;
  const bytes = await readInputBytes(file, { ...options, source });
  return parseBytes(bytes, format, source, options.csvColumns);
}

/** Parses a whole file's bytes in its format. */
function parseBytes(
  bytes: Buffer,
  format: InputFormat,
  source: string,
  csvColumns: readonly string[] | undefined,
): ParsedInput[] {
  if (csvColumns !== undefined && format !== 'csv') {
    throw new UsageError('--csv-columns: only applies to a CSV --input-file');
  }
  switch (format) {
    case 'json':
      return parseJsonInputs(bytes.toString('utf8'), source);
    case 'csv':
      return [parseCsvInput(bytes.toString('utf8'), source, csvColumns)];
    default:
      return [parseNpyInput(bytes, source)];
  }
}
