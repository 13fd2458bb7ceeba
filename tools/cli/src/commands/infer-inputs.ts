/**
 * `infer`'s inputs: read from `--input` (repeatable, `[name=]JSON`) or `--input-file`,
 * then named and typed with the flags and the model's metadata (see `toTensor` for the
 * datatype order). Plain TypeScript, no transport: the command passes the metadata in.
 */
import { type Datatype, isDatatype, type Tensor, type TensorSpec } from '@sightline/tensor';
import type { Progress } from '../frame/progress.js';
import { UsageError } from '../frame/usage-error.js';
import { readInputFile } from '../inputs/input-file.js';
import { parseJsonInputs } from '../inputs/json-input.js';
import type { ParsedInput } from '../inputs/parsed-input.js';
import { toTensor } from '../inputs/to-tensor.js';

/** The input flags of `infer`. */
export interface InputFlags {
  readonly input?: readonly string[];
  readonly inputFile?: string;
  readonly inputFormat?: string;
  readonly inputName?: string;
  readonly datatype?: string;
  readonly csvColumns?: string;
  readonly maxInputBytes?: string;
}

/** A name: a letter, digit or `_` first, so `[[1,2]]` and `{"inputs"...}` are never read as `name=`. */
const NAMED_INPUT = /^([A-Za-z0-9_][A-Za-z0-9_.:/-]*)=([\s\S]*)$/;

/** Reads `--input` flags: `[name=]JSON`, each one input (a V2 `{"inputs"}` object may hold several). */
export function parseInputFlags(values: readonly string[]): ParsedInput[] {
  return values.flatMap((value) => {
    const named = NAMED_INPUT.exec(value);
    if (named)
      return parseJsonInputs(named[2]!, `--input ${named[1]}`).map((input) => ({
        ...input,
        name: named[1]!,
      }));
    return parseJsonInputs(value, '--input');
  });
}

/** Reads every input the flags give (exactly one of --input and --input-file). */
export async function readInputs(flags: InputFlags, progress: Progress): Promise<ParsedInput[]> {
  const fromFlags = flags.input ?? [];
  if (fromFlags.length > 0 && flags.inputFile !== undefined) {
    throw new UsageError('--input and --input-file: give one or the other');
  }
  if (flags.inputFile !== undefined) {
    let maxBytes: number | undefined;
    if (flags.maxInputBytes !== undefined) {
      maxBytes = Number(flags.maxInputBytes);
      if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
        throw new UsageError(
          `--max-input-bytes: expected a positive whole number of bytes, got ${JSON.stringify(flags.maxInputBytes)}`,
        );
      }
    }
    return readInputFile(flags.inputFile, {
      progress,
      ...(flags.inputFormat === undefined ? {} : { format: flags.inputFormat }),
      ...(flags.csvColumns === undefined
        ? {}
        : { csvColumns: flags.csvColumns.split(',').map((c) => c.trim()) }),
      ...(maxBytes === undefined ? {} : { maxBytes }),
    });
  }
  if (flags.inputFormat !== undefined || flags.csvColumns !== undefined) {
    throw new UsageError('--input-format and --csv-columns: only apply with --input-file');
  }
  if (fromFlags.length === 0) throw new UsageError('give the inputs with --input JSON or --input-file PATH');
  return parseInputFlags(fromFlags);
}

/** True when the metadata is needed: an input without a name, or without a datatype to send. */
export function needsMetadata(inputs: readonly ParsedInput[], flags: InputFlags): boolean {
  return inputs.some(
    (input) => input.name === undefined || (input.datatype === undefined && flags.datatype === undefined),
  );
}

/**
 * Names and types the inputs: an unnamed input takes `--input-name`, else the name of the
 * model's input at its position among the unnamed ones.
 *
 * @param declared - the model's inputs from its metadata; empty when not fetched.
 * @throws UsageError when an input cannot be named, or an element does not fit its datatype.
 */
export function resolveTensors(
  inputs: readonly ParsedInput[],
  flags: InputFlags,
  declared: readonly TensorSpec[],
  model: string,
): Tensor[] {
  let force: Datatype | undefined;
  if (flags.datatype !== undefined) {
    const upper = flags.datatype.toUpperCase();
    if (!isDatatype(upper))
      throw new UsageError(
        `--datatype: ${JSON.stringify(flags.datatype)} is not a V2 datatype (FP32, INT64, BYTES, ...)`,
      );
    force = upper;
  }
  const unnamed = inputs.filter((input) => input.name === undefined).length;
  if (flags.inputName !== undefined && unnamed !== 1) {
    throw new UsageError(`--input-name: names one unnamed input, but ${unnamed} were given`);
  }
  let position = 0;
  const tensors = inputs.map((input) => {
    let name = input.name;
    if (name === undefined) {
      name = flags.inputName ?? declared[position]?.name;
      position += 1;
      if (name === undefined) {
        throw new UsageError(
          declared.length === 0
            ? `model ${JSON.stringify(model)} declares no inputs to name this one; pass --input-name`
            : `model ${JSON.stringify(model)} declares ${declared.length} input(s), fewer than given; name them with --input NAME=JSON`,
        );
      }
    }
    const spec = declared.find((d) => d.name === name);
    return toTensor(input, name, {
      ...(force === undefined ? {} : { force }),
      ...(spec === undefined ? {} : { declared: spec.datatype }),
    });
  });
  const names = new Set<string>();
  for (const tensor of tensors) {
    if (names.has(tensor.name)) throw new UsageError(`input ${JSON.stringify(tensor.name)}: given twice`);
    names.add(tensor.name);
  }
  return tensors;
}
