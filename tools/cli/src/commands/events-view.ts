/**
 * How `events` prints stored events: a table of one line per event (time, request id,
 * graph, model and version, status, total ms, trace id), or under `--json` each event as a
 * document in the contract's field names, snake_case as `infer --json` writes them:
 * `{event_id, request_id, time, source, graph, node_path, model_name, model_version,
 * status_code, error_message, timings: {total_ms, model_ms, node_ms}, trace: {traceparent,
 * tracestate}, request_parameters, response_parameters, inputs, outputs}`, tensors as
 * `{name, datatype, shape, data}` with `data` flat and row-major (BYTES as UTF-8 text;
 * null for FP16/BF16, which the contract carries without contents).
 */
import type { StoredEvent } from '@sightline/sdk';
import { type Datatype, parametersToRecord, tensorFromContents } from '@sightline/tensor';
import type { Cell } from '../frame/output.js';

/** The table's columns, in order. */
export const EVENT_COLUMNS = [
  'time',
  'request id',
  'graph',
  'model',
  'status',
  'total ms',
  'trace id',
] as const;

type WireTensor = StoredEvent['inputs'][number];

function tensorData(tensor: WireTensor): unknown {
  if (tensor.contents === undefined) return null;
  const shape = tensor.shape.map(Number);
  const decoded = tensorFromContents(tensor.name, tensor.datatype as Datatype, shape, tensor.contents);
  if (decoded.datatype === 'BYTES') {
    const decoder = new TextDecoder();
    return decoded.data.map((element) => decoder.decode(element));
  }
  return Array.from(decoded.data as ArrayLike<number | bigint>);
}

function tensorJson(tensor: WireTensor) {
  return { name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, data: tensorData(tensor) };
}

/** The 32 hex digits of a `traceparent`'s trace id; empty when there is none. */
export function traceIdOf(event: StoredEvent): string {
  return event.trace?.traceparent.split('-')[1] ?? '';
}

/** One event as its `--json` document. */
export function eventJson(event: StoredEvent) {
  return {
    event_id: event.eventId,
    request_id: event.requestId,
    time: event.time?.toISOString() ?? null,
    source: event.source,
    graph: event.graph,
    node_path: event.nodePath,
    model_name: event.modelName,
    model_version: event.modelVersion,
    status_code: event.statusCode,
    error_message: event.errorMessage,
    timings: {
      total_ms: event.timings?.totalMs ?? 0,
      model_ms: event.timings?.modelMs ?? 0,
      node_ms: event.timings?.nodeMs ?? {},
    },
    trace: { traceparent: event.trace?.traceparent ?? '', tracestate: event.trace?.tracestate ?? '' },
    request_parameters: parametersToRecord(event.requestParameters),
    response_parameters: parametersToRecord(event.responseParameters),
    inputs: event.inputs.map(tensorJson),
    outputs: event.outputs.map(tensorJson),
  };
}

/** One event as a table row ({@link EVENT_COLUMNS}). */
export function eventRow(event: StoredEvent): Cell[] {
  const version = event.modelVersion === '' ? '' : `:${event.modelVersion}`;
  return [
    event.time?.toISOString() ?? '',
    event.requestId,
    event.graph,
    `${event.modelName}${version}`,
    event.statusCode,
    Number((event.timings?.totalMs ?? 0).toFixed(3)),
    traceIdOf(event),
  ];
}

/**
 * One event as a line of a following tail's human output: the row's cells separated by
 * two spaces, each padded to the width of a typical value so lines align.
 */
export function eventLine(event: StoredEvent): string {
  const widths = [24, 24, 16, 16, 12, 9, 0];
  return eventRow(event)
    .map((cell, i) => String(cell ?? '').padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}

/** The header line of a following tail's human output. */
export function headerLine(): string {
  const widths = [24, 24, 16, 16, 12, 9, 0];
  return EVENT_COLUMNS.map((name, i) => name.padEnd(widths[i] ?? 0))
    .join('  ')
    .trimEnd();
}
