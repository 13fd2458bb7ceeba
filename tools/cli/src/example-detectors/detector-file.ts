/**
 * A detector declared as a file (examples/detectors/*.yaml): which service, its name and
 * settings, the reference it is fitted on and, for drift, the live events it watches. Read
 * and checked here; `provisionDetectors` turns the files into detectors.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DriftDetectorSettings, OutlierDetectorSettings } from '@sightline/sdk';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseCsvTable } from '../inputs/csv-table.js';

/** The one version of the file format. */
export const DETECTOR_FILE_SCHEMA_VERSION = 1;
/** Largest detector file read, in bytes. */
export const MAX_DETECTOR_FILE_BYTES = 64 * 1024;
/** Largest reference CSV read, in bytes. */
export const MAX_REFERENCE_FILE_BYTES = 32 * 1024 * 1024;

const reference = z.strictObject({
  file: z.string().min(1),
  columns: z.array(z.string().min(1)).min(1),
  tensor: z.string().min(1).optional(),
});

const settings = z.looseObject({ kind: z.string().min(1) });

const detectorFileSchema = z.discriminatedUnion('service', [
  z.strictObject({
    schemaVersion: z.literal(DETECTOR_FILE_SCHEMA_VERSION),
    service: z.literal('outlier'),
    name: z.string().min(1),
    settings,
    reference,
  }),
  z.strictObject({
    schemaVersion: z.literal(DETECTOR_FILE_SCHEMA_VERSION),
    service: z.literal('drift'),
    name: z.string().min(1),
    settings,
    reference: reference.omit({ tensor: true }),
    attach: z
      .strictObject({
        modelName: z.string().min(1),
        modelVersion: z.string().min(1).optional(),
        graph: z.string().min(1).optional(),
        tensors: z.array(z.string().min(1)).optional(),
        maxRows: z.number().int().positive().optional(),
        maxDurationMs: z.number().int().positive().optional(),
      })
      .optional(),
  }),
]);

type DetectorFileDocument = z.infer<typeof detectorFileSchema>;

/** A reference read from its CSV: each named column's values, in the file's row order. */
export interface ReferenceColumns {
  readonly columns: Readonly<Record<string, readonly number[]>>;
  readonly rows: number;
}

/** A checked detector file with its reference read. */
export type DetectorFile =
  | {
      readonly service: 'outlier';
      readonly path: string;
      readonly name: string;
      readonly settings: OutlierDetectorSettings;
      readonly reference: ReferenceColumns;
      readonly tensor?: string;
    }
  | {
      readonly service: 'drift';
      readonly path: string;
      readonly name: string;
      readonly settings: DriftDetectorSettings;
      readonly reference: ReferenceColumns;
      readonly attach?: NonNullable<Extract<DetectorFileDocument, { service: 'drift' }>['attach']>;
    };

/** A file that could not be used, with one sentence why. */
export interface DetectorFileProblem {
  readonly path: string;
  readonly message: string;
}

function firstIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const at = issue.path.length > 0 ? issue.path.join('.') : '(the document)';
  return `${at}: ${issue.message}`;
}

async function readReference(
  file: string,
  columns: readonly string[],
): Promise<ReferenceColumns | { readonly problem: string }> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return { problem: `reference.file: cannot read ${file}` };
  if (Buffer.byteLength(text) > MAX_REFERENCE_FILE_BYTES)
    return { problem: `reference.file: ${file} is over ${MAX_REFERENCE_FILE_BYTES} bytes` };
  let table: ReturnType<typeof parseCsvTable>;
  try {
    table = parseCsvTable(text, file);
  } catch (error) {
    return { problem: `reference.file: ${(error as Error).message}` };
  }
  const out: Record<string, readonly number[]> = {};
  for (const name of columns) {
    const column = table.columns.find((c) => c.name === name);
    if (!column) return { problem: `reference.columns: ${JSON.stringify(name)} is not a column of ${file}` };
    if (column.type !== 'numeric')
      return { problem: `reference.columns: ${JSON.stringify(name)} of ${file} must be numeric` };
    out[name] = Array.from(column.values);
  }
  return { columns: out, rows: table.rows };
}

/** Reads and checks one detector file. */
export async function readDetectorFile(file: string): Promise<DetectorFile | DetectorFileProblem> {
  const text = await readFile(file, 'utf8');
  if (Buffer.byteLength(text) > MAX_DETECTOR_FILE_BYTES)
    return { path: file, message: `over ${MAX_DETECTOR_FILE_BYTES} bytes` };
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    return { path: file, message: `not YAML: ${(error as Error).message.split('\n')[0]}` };
  }
  const parsed = detectorFileSchema.safeParse(document);
  if (!parsed.success) return { path: file, message: firstIssue(parsed.error) };
  const spec = parsed.data;
  const reference = await readReference(
    path.resolve(path.dirname(file), spec.reference.file),
    spec.reference.columns,
  );
  if ('problem' in reference) return { path: file, message: reference.problem };
  if (spec.service === 'outlier') {
    return {
      service: 'outlier',
      path: file,
      name: spec.name,
      settings: spec.settings as unknown as OutlierDetectorSettings,
      reference,
      ...(spec.reference.tensor !== undefined && { tensor: spec.reference.tensor }),
    };
  }
  return {
    service: 'drift',
    path: file,
    name: spec.name,
    settings: spec.settings as unknown as DriftDetectorSettings,
    reference,
    ...(spec.attach !== undefined && { attach: spec.attach }),
  };
}

/** Every `*.yaml` / `*.yml` file of `dir` in name order (none when the directory is absent). */
export async function readDetectorFiles(
  dir: string,
): Promise<{ readonly files: DetectorFile[]; readonly problems: DetectorFileProblem[] }> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files: DetectorFile[] = [];
  const problems: DetectorFileProblem[] = [];
  for (const name of names.filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const result = await readDetectorFile(path.join(dir, name));
    if ('message' in result) problems.push(result);
    else files.push(result);
  }
  return { files, problems };
}
