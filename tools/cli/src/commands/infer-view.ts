/**
 * How `infer` prints an answer: its model, version and id, its parameters (through the
 * router: `sightline.trace_id`, `sightline.path`, ...) and its outputs, as tables; or, with
 * `--json`, one document in the V2 JSON response's shape:
 * `{model_name, model_version, id, parameters, outputs: [{name, datatype, shape, data}]}`
 * with `data` flat and row-major, BYTES elements as UTF-8 text, 64-bit integers as numbers
 * (as strings past 2^53).
 */
import type { ParameterRecord, Tensor } from '@sightline/tensor';
import { type Cell, type CommandResult, fields, table } from '../frame/output.js';

/** An inference answer as the CLI prints it. */
export interface InferAnswer {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id: string;
  readonly parameters: ParameterRecord;
  readonly outputs: readonly Tensor[];
  /** With `--batch-size`: each request's rows and parameters, in order. */
  readonly batches?: readonly { readonly rows: number; readonly parameters: ParameterRecord }[];
}

/** The most elements of one output shown in the table (all of them are in --json). */
export const MAX_TABLE_ELEMENTS = 64;

function elements(tensor: Tensor): (number | bigint | string)[] {
  if (tensor.datatype === 'BYTES') {
    const decoder = new TextDecoder();
    return tensor.data.map((element) => decoder.decode(element));
  }
  return Array.from(tensor.data as ArrayLike<number | bigint>);
}

function formatElement(value: number | bigint | string): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toPrecision(6)));
  return String(value);
}

/** The table cell of one output: one line per row of a 2-D output, capped at {@link MAX_TABLE_ELEMENTS}. */
export function formatOutputValues(tensor: Tensor): string {
  const values = elements(tensor);
  const shown = values.slice(0, MAX_TABLE_ELEMENTS).map(formatElement);
  const more =
    values.length > shown.length ? ` ... (${values.length - shown.length} more; --json shows all)` : '';
  const width = tensor.shape.length >= 2 ? (tensor.shape.at(-1) ?? 0) : 0;
  if (width > 0 && shown.length > width) {
    const lines: string[] = [];
    for (let at = 0; at < shown.length; at += width)
      lines.push(`[${shown.slice(at, at + width).join(', ')}]`);
    return `${lines.join('\n')}${more}`;
  }
  return `[${shown.join(', ')}]${more}`;
}

function parameterCell(value: ParameterRecord[string]): Cell {
  return typeof value === 'bigint' || typeof value === 'boolean' || typeof value === 'number'
    ? value
    : String(value);
}

/** The printable result of an inference. */
export function inferResult(answer: InferAnswer): CommandResult {
  return {
    json: {
      model_name: answer.modelName,
      model_version: answer.modelVersion,
      id: answer.id,
      parameters: answer.parameters,
      outputs: answer.outputs.map((tensor) => ({
        name: tensor.name,
        datatype: tensor.datatype,
        shape: tensor.shape,
        data: elements(tensor),
      })),
      ...(answer.batches === undefined ? {} : { batches: answer.batches }),
    },
    human: () => [
      fields([
        ['model', answer.modelName],
        ['version', answer.modelVersion],
        ['id', answer.id],
      ]),
      // With --batch-size each request's parameters are in the batches table instead.
      ...(answer.batches === undefined
        ? [
            table(
              ['parameter', 'value'],
              Object.entries(answer.parameters).map(([key, value]) => [key, parameterCell(value)]),
              'parameters',
            ),
          ]
        : []),
      ...(answer.batches === undefined
        ? []
        : [
            table(
              ['batch', 'rows', 'parameters'],
              answer.batches.map((batch, i) => [
                i + 1,
                batch.rows,
                Object.entries(batch.parameters)
                  .map(([key, value]) => `${key}=${String(value)}`)
                  .join('\n'),
              ]),
              'batches',
            ),
          ]),
      table(
        ['output', 'datatype', 'shape', 'values'],
        answer.outputs.map((tensor) => [
          tensor.name,
          tensor.datatype,
          `[${tensor.shape.join(', ')}]`,
          formatOutputValues(tensor),
        ]),
        'outputs',
      ),
    ],
  };
}
