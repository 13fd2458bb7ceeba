/**
 * The InferenceEvent of a request (and of each shadow mirror's answer). On the answer's
 * path the router only captures references to what it already holds (the request's and
 * the response's tensors as they arrived, ids, timings) in a {@link RequestRecord}; the
 * event pipeline builds the event from it when it drains its queue, in batches, after the
 * answer is on its way. Nothing in here can fail or delay the request.
 *
 * Captured tensors are read later, so they must not change after the answer: raw tensors
 * are views of the Buffers grpc-js hands over for each message (a fresh Buffer per message
 * that nothing writes to afterwards), and decoded tensors are never mutated by the engine.
 */
import { randomUUID } from 'node:crypto';
import {
  type DeferredInferenceEvent,
  type EventParameterValue,
  type InferenceEvent,
  STATUS_OK,
} from '@sightline/events';
import type { ParameterRecord, Tensor } from '@sightline/tensor';
import type { RoutedTensor } from '../engine/routed-tensor.js';

/** Where events go (the EventPipeline implements it: synchronous, bounded, never throws). */
export interface EventEmitter {
  /** False when events are switched off: nothing is built for them. Absent means on. */
  readonly enabled?: boolean;
  /** Queues an event that the receiver builds later, off the answer's path. */
  emitDeferred(event: DeferredInferenceEvent): void;
}

/** What the router knows of a finished request. */
export interface RequestRecord {
  readonly requestId: string;
  /** When the answer was produced, epoch ms. */
  readonly timeUnixMs: number;
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
  /** The router's server-span `traceparent`; undefined when the request was not traced. */
  readonly traceparent?: string | undefined;
  /** Reads the model version's lineage when the event is built (see ModelLineageCache). */
  readonly modelLineage?: (() => Readonly<Record<string, string>> | undefined) | undefined;
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
export function buildInferenceEvent(record: RequestRecord, source: string): InferenceEvent {
  return {
    eventId: randomUUID(),
    requestId: record.requestId,
    timeUnixMs: record.timeUnixMs,
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
    ...lineageField(record.modelLineage?.()),
  };
}

function lineageField(lineage: Readonly<Record<string, string>> | undefined): {
  modelLineage?: Readonly<Record<string, string>>;
} {
  return lineage === undefined || Object.keys(lineage).length === 0 ? {} : { modelLineage: lineage };
}

/** A request's record as the pipeline queues it; built into its event when drained. */
class DeferredRequestEvent implements DeferredInferenceEvent {
  constructor(
    private readonly record: RequestRecord,
    private readonly source: string,
  ) {}

  build(): InferenceEvent {
    return buildInferenceEvent(this.record, this.source);
  }
}

/**
 * Hands request records to the event pipeline, which builds their events when it drains
 * its queue (batched, after the answer was handed to gRPC). A failure to emit is reported
 * to `onError` and goes no further; the pipeline counts and logs a failed build.
 */
export class RequestEventLog {
  constructor(
    private readonly emitter: EventEmitter,
    private readonly source: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /**
   * Whether events are on. Callers check it before making a record, so with events off
   * nothing at all is made for them.
   */
  get enabled(): boolean {
    return this.emitter.enabled !== false;
  }

  /** Queues the event of `record`. Never throws; does nothing with events off. */
  record(record: RequestRecord): void {
    if (this.emitter.enabled === false) return;
    try {
      this.emitter.emitDeferred(new DeferredRequestEvent(record, this.source));
    } catch (error) {
      try {
        this.onError(error);
      } catch {}
    }
  }
}
