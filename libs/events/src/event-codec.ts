import { InvalidArgumentError } from '@sightline/errors';
import type {
  EventParameterValue,
  EventTimings,
  EventTraceContext,
  InferenceEvent,
} from './inference-event.js';
import { type TensorJson, tensorFromJson, tensorToJson } from './tensor-json.js';

/**
 * The JSON form of an InferenceEvent: the same fields, tensors as {@link TensorJson}.
 * Used by every sink (file store lines, Elasticsearch documents, CloudEvents `data`).
 */
export interface InferenceEventJson extends Omit<InferenceEvent, 'inputs' | 'outputs'> {
  readonly inputs: readonly TensorJson[];
  readonly outputs: readonly TensorJson[];
}

/** Converts an event to its JSON form (a plain object ready for `JSON.stringify`). */
export function eventToJson(event: InferenceEvent): InferenceEventJson {
  return {
    eventId: event.eventId,
    requestId: event.requestId,
    timeUnixMs: event.timeUnixMs,
    source: event.source,
    graph: event.graph,
    nodePath: event.nodePath,
    modelName: event.modelName,
    modelVersion: event.modelVersion,
    inputs: event.inputs.map(tensorToJson),
    outputs: event.outputs.map(tensorToJson),
    requestParameters: event.requestParameters,
    responseParameters: event.responseParameters,
    timings: event.timings,
    statusCode: event.statusCode,
    ...(event.errorMessage !== undefined ? { errorMessage: event.errorMessage } : {}),
    ...(event.trace !== undefined ? { trace: event.trace } : {}),
    ...(event.modelLineage !== undefined ? { modelLineage: event.modelLineage } : {}),
  };
}

/** Serializes an event to one line of JSON (no trailing newline). */
export function serializeEvent(event: InferenceEvent): string {
  return JSON.stringify(eventToJson(event));
}

/**
 * Parses and validates an event's JSON form.
 * @throws InvalidArgumentError naming the first field that breaks its rule.
 */
export function eventFromJson(value: unknown): InferenceEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError('event: expected a JSON object');
  }
  const o = value as Record<string, unknown>;
  const eventId = requireString(o, 'eventId', true);
  const requestId = requireString(o, 'requestId', true);
  const timeUnixMs = o.timeUnixMs;
  if (typeof timeUnixMs !== 'number' || !Number.isFinite(timeUnixMs) || timeUnixMs < 0) {
    throw new InvalidArgumentError(
      'event.timeUnixMs: expected a non-negative number of milliseconds since the epoch',
    );
  }
  const nodePath = o.nodePath ?? [];
  if (!Array.isArray(nodePath) || !nodePath.every((n) => typeof n === 'string')) {
    throw new InvalidArgumentError('event.nodePath: expected an array of strings');
  }
  const event: InferenceEvent = {
    eventId,
    requestId,
    timeUnixMs,
    source: requireString(o, 'source', true),
    graph: optionalString(o, 'graph'),
    nodePath: nodePath as string[],
    modelName: optionalString(o, 'modelName'),
    modelVersion: optionalString(o, 'modelVersion'),
    inputs: tensors(o.inputs, 'inputs'),
    outputs: tensors(o.outputs, 'outputs'),
    requestParameters: parameters(o.requestParameters, 'requestParameters'),
    responseParameters: parameters(o.responseParameters, 'responseParameters'),
    timings: timings(o.timings),
    statusCode: requireString(o, 'statusCode', true),
    ...(typeof o.errorMessage === 'string' ? { errorMessage: o.errorMessage } : {}),
    ...(o.trace !== undefined && o.trace !== null ? { trace: trace(o.trace) } : {}),
    ...(o.modelLineage !== undefined && o.modelLineage !== null
      ? { modelLineage: stringRecord(o.modelLineage, 'modelLineage') }
      : {}),
  };
  return event;
}

/** Parses one line of JSON produced by {@link serializeEvent}. */
export function parseEvent(line: string): InferenceEvent {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (cause) {
    throw new InvalidArgumentError('event: not valid JSON', { cause });
  }
  return eventFromJson(value);
}

function stringRecord(value: unknown, key: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`event.${key}: expected an object of strings`);
  }
  for (const [name, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') {
      throw new InvalidArgumentError(`event.${key}.${name}: expected a string`);
    }
  }
  return value as Record<string, string>;
}

function requireString(o: Record<string, unknown>, key: string, nonEmpty: boolean): string {
  const v = o[key];
  if (typeof v !== 'string' || (nonEmpty && v.length === 0)) {
    throw new InvalidArgumentError(`event.${key}: expected a ${nonEmpty ? 'non-empty ' : ''}string`);
  }
  return v;
}

function optionalString(o: Record<string, unknown>, key: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new InvalidArgumentError(`event.${key}: expected a string`);
  return v;
}

function tensors(v: unknown, field: string) {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new InvalidArgumentError(`event.${field}: expected an array of tensors`);
  return v.map((t, i) => tensorFromJson(t, `event.${field}[${i}]`));
}

function parameters(v: unknown, field: string): Record<string, EventParameterValue> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new InvalidArgumentError(`event.${field}: expected an object of name -> value`);
  }
  for (const [k, p] of Object.entries(v)) {
    if (typeof p !== 'string' && typeof p !== 'number' && typeof p !== 'boolean') {
      throw new InvalidArgumentError(`event.${field}.${k}: expected a string, number or boolean`);
    }
  }
  return v as Record<string, EventParameterValue>;
}

function timings(v: unknown): EventTimings {
  if (typeof v !== 'object' || v === null) {
    throw new InvalidArgumentError('event.timings: expected an object with totalMs');
  }
  const t = v as Record<string, unknown>;
  if (typeof t.totalMs !== 'number' || !(t.totalMs >= 0)) {
    throw new InvalidArgumentError('event.timings.totalMs: expected a non-negative number of milliseconds');
  }
  if (t.modelMs !== undefined && typeof t.modelMs !== 'number') {
    throw new InvalidArgumentError('event.timings.modelMs: expected a number of milliseconds');
  }
  if (t.nodeMs !== undefined) {
    if (
      typeof t.nodeMs !== 'object' ||
      t.nodeMs === null ||
      !Object.values(t.nodeMs).every((x) => typeof x === 'number')
    ) {
      throw new InvalidArgumentError('event.timings.nodeMs: expected an object of node name -> milliseconds');
    }
  }
  return t as unknown as EventTimings;
}

function trace(v: unknown): EventTraceContext {
  if (typeof v !== 'object' || v === null || typeof (v as Record<string, unknown>).traceparent !== 'string') {
    throw new InvalidArgumentError('event.trace.traceparent: expected a W3C traceparent string');
  }
  const t = v as Record<string, unknown>;
  if (t.tracestate !== undefined && typeof t.tracestate !== 'string') {
    throw new InvalidArgumentError('event.trace.tracestate: expected a string');
  }
  return t as unknown as EventTraceContext;
}
