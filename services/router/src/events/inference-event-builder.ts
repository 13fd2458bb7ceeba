/**
 * Builds the InferenceEvent of a request (and of each shadow mirror's answer) and hands it
 * to the event pipeline after the answer is on its way: tensors are decoded here, off the
 * answer's path, and nothing in here can fail or delay the request.
 */
import { randomUUID } from 'node:crypto';
import { type EventParameterValue, type InferenceEvent, STATUS_OK } from '@sightline/events';
import type { ParameterRecord, Tensor } from '@sightline/tensor';
import type { RoutedTensor } from '../engine/routed-tensor.js';

/** Where events go (the EventPipeline implements it: synchronous, bounded, never throws). */
export interface EventEmitter {
  /** False when events are switched off: nothing is built for them. Absent means on. */
  readonly enabled?: boolean;
  emit(event: InferenceEvent): void;
}

/** What the router knows of a finished request. */
export interface RequestRecord {
  readonly requestId: string;
  readonly graph: string;
  readonly nodePath: readonly string[];
  readonly modelName: string;
  readonly modelVersion: string;
  readonly inputs: readonly RoutedTensor[];
  readonly outputs: readonly RoutedTensor[];
  readonly requestParameters: Readonly<ParameterRecord>;
  readonly responseParameters: Readonly<ParameterRecord>;
  readonly totalMs: number;
  readonly modelMs: number;
  readonly nodeMs: Readonly<Record<string, number>>;
  readonly statusCode: string;
  readonly errorMessage?: string;
  readonly traceparent?: string;
}

function eventParameters(record: Readonly<ParameterRecord>): Record<string, EventParameterValue> {
  return Object.fromEntries(
    Object.entries(record).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]),
  );
}

function decodeAll(tensors: readonly RoutedTensor[]): Tensor[] {
  const out: Tensor[] = [];
  for (const t of tensors) {
    try {
      out.push(t.tensor());
    } catch {
      // Bytes the upstream refused are not logged as values; the event keeps the rest.
    }
  }
  return out;
}

/** The event of one request. */
export function buildInferenceEvent(record: RequestRecord, source: string, now: number): InferenceEvent {
  return {
    eventId: randomUUID(),
    requestId: record.requestId,
    timeUnixMs: now,
    source,
    graph: record.graph,
    nodePath: [...record.nodePath],
    modelName: record.modelName,
    modelVersion: record.modelVersion,
    inputs: decodeAll(record.inputs),
    outputs: decodeAll(record.outputs),
    requestParameters: eventParameters(record.requestParameters),
    responseParameters: eventParameters(record.responseParameters),
    timings: { totalMs: record.totalMs, modelMs: record.modelMs, nodeMs: { ...record.nodeMs } },
    statusCode: record.statusCode,
    ...(record.errorMessage !== undefined && record.statusCode !== STATUS_OK
      ? { errorMessage: record.errorMessage }
      : {}),
    ...(record.traceparent ? { trace: { traceparent: record.traceparent } } : {}),
  };
}

/**
 * Emits request events on the next turn of the event loop, after the answer was handed to
 * gRPC; a failure to build or emit one is reported to `onError` and goes no further.
 */
export class RequestEventLog {
  constructor(
    private readonly emitter: EventEmitter,
    private readonly source: string,
    private readonly onError: (error: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Schedules the event of `record`. Never throws. With events off (an emitter that reports
   * itself disabled) nothing is built: the record thunk is never called, so no tensors are
   * decoded for events nobody receives.
   */
  record(record: () => RequestRecord): void {
    if (this.emitter.enabled === false) return;
    setImmediate(() => {
      try {
        this.emitter.emit(buildInferenceEvent(record(), this.source, this.now()));
      } catch (error) {
        try {
          this.onError(error);
        } catch {}
      }
    });
  }
}
