/**
 * JSON inputs (`--input-file x.json`, `--input '[[...]]'`), in one of two forms:
 *
 * - the V2 JSON request's inputs: `{"inputs": [{"name", "shape"?, "datatype"?, "data"}]}`,
 *   `data` nested or flat (with `shape`, a flat list is reshaped);
 * - a plain nested array (`[[5.1, 3.5, 1.4, 0.2]]`): one unnamed input, its shape from the
 *   nesting, its name and datatype from the flags or the model's metadata.
 */
import { type Datatype, isDatatype } from '@sightline/tensor';
import { UsageError } from '../frame/usage-error.js';
import { flattenNested } from './nested-array.js';
import type { ParsedInput } from './parsed-input.js';

const INPUT_KEYS = new Set(['name', 'shape', 'datatype', 'data']);

function parseText(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not valid JSON (${(error as Error).message})`);
  }
}

function parseV2Input(entry: unknown, index: number, source: string): ParsedInput {
  const where = `${source}: inputs[${index}]`;
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw new UsageError(`${where}: expected an object with name, shape, datatype and data`);
  }
  const record = entry as Record<string, unknown>;
  const unknown = Object.keys(record).find((key) => !INPUT_KEYS.has(key));
  if (unknown !== undefined)
    throw new UsageError(
      `${where}: unknown field ${JSON.stringify(unknown)} (expected name, shape, datatype, data)`,
    );
  if (typeof record.name !== 'string' || record.name === '')
    throw new UsageError(`${where}.name: a non-empty string is required`);
  let datatype: Datatype | undefined;
  if (record.datatype !== undefined) {
    if (typeof record.datatype !== 'string' || !isDatatype(record.datatype)) {
      throw new UsageError(`${where}.datatype: ${JSON.stringify(record.datatype)} is not a V2 datatype`);
    }
    datatype = record.datatype;
  }
  if (record.data === undefined) throw new UsageError(`${where}.data: required`);
  const nested = flattenNested(record.data, `${where}.data`);
  let shape = nested.shape;
  if (record.shape !== undefined) {
    const declared = record.shape;
    if (!Array.isArray(declared) || !declared.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      throw new UsageError(`${where}.shape: expected an array of non-negative integers`);
    }
    const count = (declared as number[]).reduce((a, b) => a * b, 1);
    if (count !== nested.data.values.length) {
      throw new UsageError(
        `${where}: shape [${declared.join(', ')}] needs ${count} elements, data has ${nested.data.values.length}`,
      );
    }
    shape = declared as number[];
  }
  return { name: record.name, shape, data: nested.data, ...(datatype === undefined ? {} : { datatype }) };
}

/**
 * Reads JSON text as inputs (see the module comment for the forms).
 *
 * @param source - names the flag or file in error messages.
 * @throws UsageError naming the source, the input and the rule broken.
 */
export function parseJsonInputs(text: string, source: string): ParsedInput[] {
  const document = parseText(text, source);
  if (typeof document === 'object' && document !== null && !Array.isArray(document)) {
    const record = document as Record<string, unknown>;
    const unknown = Object.keys(record).find((key) => key !== 'inputs');
    if (unknown !== undefined) {
      throw new UsageError(
        `${source}: unknown field ${JSON.stringify(unknown)}; only "inputs" is read (use --parameter and --id for the rest)`,
      );
    }
    if (!Array.isArray(record.inputs) || record.inputs.length === 0) {
      throw new UsageError(`${source}: "inputs" must be a non-empty array`);
    }
    const inputs = record.inputs.map((entry, index) => parseV2Input(entry, index, source));
    const names = new Set<string>();
    for (const input of inputs) {
      if (names.has(input.name!))
        throw new UsageError(`${source}: input ${JSON.stringify(input.name)} is given twice`);
      names.add(input.name!);
    }
    return inputs;
  }
  return [flattenNested(document, source)];
}
