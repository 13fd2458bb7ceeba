/**
 * The optional config file, `sightline.yaml`: one section per service (its keys are the
 * service's flags without the dashes, `grpc-port: 8001`) and a `stack` section for
 * `sightline start`. Read once, checked against each service's own settings schema, and
 * turned into plain values by section and camelCase key; a mistake is one sentence naming
 * the file, line, section and key and the rule, and exits 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { toFlagName } from '@sightline/service-kit';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../frame/usage-error.js';

/** The file `serve` and `start` read from the working directory when no other is named. */
export const CONFIG_FILE_NAME = 'sightline.yaml';
/** The environment variable that names the config file (`--config` wins over it). */
export const CONFIG_FILE_ENV = 'SIGHTLINE_CONFIG';
/** The section that holds `sightline start`'s own settings. */
export const STACK_SECTION = 'stack';
/** Largest config file read, in bytes: a settings file, not a data file. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** One value from the file, as text (the schemas coerce, as they do flags), and where it is. */
export interface ConfigFileValue {
  readonly value: string;
  readonly line: number;
}

/** A read and checked config file: values by section, then by camelCase key. */
export interface ConfigFile {
  readonly path: string;
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, ConfigFileValue>>;
}

/** Where to look: `--config`, then SIGHTLINE_CONFIG, then ./sightline.yaml if it exists. */
export function locateConfigFile(options: {
  readonly flag?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}): string | undefined {
  const named = options.flag ?? (options.env[CONFIG_FILE_ENV] || undefined);
  if (named !== undefined) {
    const resolved = path.resolve(options.cwd, named);
    const source = options.flag !== undefined ? '--config' : CONFIG_FILE_ENV;
    if (!existsSync(resolved)) throw new UsageError(`${source}: no such file ${named}`);
    return resolved;
  }
  const inWorkingDir = path.join(options.cwd, CONFIG_FILE_NAME);
  return existsSync(inWorkingDir) ? inWorkingDir : undefined;
}

/** Reads and checks the file at `file` (see {@link parseConfigFile}). */
export function readConfigFile(file: string, schemas: Readonly<Record<string, z.ZodObject>>): ConfigFile {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_CONFIG_FILE_BYTES) {
      throw new UsageError(
        `${file}: ${bytes.length} bytes is larger than a config file may be (${MAX_CONFIG_FILE_BYTES})`,
      );
    }
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`${file}: cannot read: ${(error as Error).message}`);
  }
  return parseConfigFile(text, file, schemas);
}

/**
 * Parses `text` and checks it against `schemas` (one per section): every section known,
 * every key one of its schema's settings in flag spelling, every value accepted by that
 * setting. Throws a UsageError naming the first mistake (and how many more there are).
 */
export function parseConfigFile(
  text: string,
  file: string,
  schemas: Readonly<Record<string, z.ZodObject>>,
): ConfigFile {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, uniqueKeys: true });
  const lineOf = (node: { range?: readonly number[] | null } | null | undefined) =>
    node?.range ? lineCounter.linePos(node.range[0]).line : 0;
  const at = (line: number) => (line > 0 ? `${file}:${line}` : file);
  if (document.errors.length > 0) {
    const first = document.errors[0];
    const line = first?.linePos?.[0].line ?? 0;
    // The parser's message ends with the position and an excerpt: the line is named in front.
    const reason = (first?.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
    throw new UsageError(`${at(line)}: not valid YAML: ${reason}`);
  }
  const sections = new Map<string, Map<string, ConfigFileValue>>();
  const problems: string[] = [];
  const root = document.contents;
  // An empty file (or one of comments only) is allowed: every setting keeps its default.
  if (root === null || (isScalar(root) && root.value === null)) return { path: file, sections };
  if (!isMap(root)) {
    throw new UsageError(`${at(lineOf(root))}: must be a mapping of sections (${sectionList(schemas)})`);
  }
  for (const pair of root.items) {
    const sectionName = isScalar(pair.key) ? String(pair.key.value) : '';
    const schema = schemas[sectionName];
    if (schema === undefined) {
      problems.push(
        `${at(lineOf(pair.key as never))}: unknown section "${sectionName}"; known: ${sectionList(schemas)}`,
      );
      continue;
    }
    const values = new Map<string, ConfigFileValue>();
    sections.set(sectionName, values);
    const body = pair.value;
    if (body === null || (isScalar(body) && body.value === null)) continue;
    if (!isMap(body)) {
      problems.push(`${at(lineOf(body as never))}: section "${sectionName}" must be a mapping of settings`);
      continue;
    }
    const keysByFlag = new Map(Object.keys(schema.shape).map((key) => [toFlagName(key), key]));
    for (const item of body.items) {
      const written = isScalar(item.key) ? String(item.key.value) : '';
      const line = lineOf(item.key as never);
      const where = `${at(line)}: ${sectionName}.${written}`;
      const key = keysByFlag.get(written);
      if (key === undefined) {
        const spelled = keysByFlag.has(toFlagName(written))
          ? `; write it as the flag is: ${toFlagName(written)}`
          : '';
        problems.push(`${where}: unknown setting${spelled}`);
        continue;
      }
      const node = item.value;
      if (!isScalar(node) || node.value === null) {
        problems.push(`${where}: must be one value (a number, a word, true or false)`);
        continue;
      }
      const value = String(node.value);
      const field = schema.shape[key] as z.ZodType;
      const checked = z.object({ v: field }).safeParse({ v: value });
      if (!checked.success) {
        problems.push(
          `${where}: ${checked.error.issues[0]?.message ?? 'invalid'}, got ${JSON.stringify(value)}`,
        );
        continue;
      }
      values.set(key, { value, line });
    }
  }
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
    throw new UsageError(`${problems[0]}${more}`);
  }
  return { path: file, sections };
}

function sectionList(schemas: Readonly<Record<string, unknown>>): string {
  return Object.keys(schemas).join(', ');
}
