import type { Tensor } from '@sightline/tensor';

/**
 * A request or response parameter value, as the Open Inference Protocol carries it
 * (`InferParameter`: bool, int64, uint64, double or string). 64-bit integers travel as
 * numbers; values beyond 2^53 lose precision, which parameters in practice never reach.
 */
export type EventParameterValue = boolean | number | string;

/** Durations of one request, in milliseconds. */
export interface EventTimings {
  /** Wall time from receiving the request to sending the answer. */
  readonly totalMs: number;
  /** Time inside model runtimes (sum over model nodes); 0 when unknown. */
  readonly modelMs?: number;
  /** Time per graph node, keyed by node name. */
  readonly nodeMs?: Readonly<Record<string, number>>;
}

/** W3C Trace Context of the request (https://www.w3.org/TR/trace-context/). */
export interface EventTraceContext {
  /** The `traceparent` value: `00-<trace id>-<span id>-<flags>`. */
  readonly traceparent: string;
  /** The `tracestate` value, when the request carried one. */
  readonly tracestate?: string;
}

/**
 * One logged prediction: what was asked, what was answered, by which graph, node and
 * model, how long it took and whether it failed. The wire contract is
 * `sightline.events.v1.InferenceEvent` (proto/sightline/events/v1/events.proto); this is
 * its domain form, with tensors as typed arrays.
 */
export interface InferenceEvent {
  /** Unique per event (a UUID); every sink deduplicates on it. */
  readonly eventId: string;
  /** The request this event logs; several events may share it (shadow answers). */
  readonly requestId: string;
  /** When the answer was produced, in milliseconds since the Unix epoch (UTC). */
  readonly timeUnixMs: number;
  /** The emitting service, e.g. `router`; the CloudEvents `source`. */
  readonly source: string;
  /** The graph that served the request; empty for a direct model call. */
  readonly graph: string;
  /** Graph nodes visited in order, outermost first; empty for a direct model call. */
  readonly nodePath: readonly string[];
  /** The model that produced the outputs (for a graph: the last model node). */
  readonly modelName: string;
  /** The version of that model; empty when unknown. */
  readonly modelVersion: string;
  /** The request's inputs. */
  readonly inputs: readonly Tensor[];
  /** The response's outputs; empty when the request failed. */
  readonly outputs: readonly Tensor[];
  /** The request's parameters. */
  readonly requestParameters: Readonly<Record<string, EventParameterValue>>;
  /** The response's parameters. */
  readonly responseParameters: Readonly<Record<string, EventParameterValue>>;
  /** Durations, in milliseconds. */
  readonly timings: EventTimings;
  /** gRPC status code name of the answer: `OK`, or e.g. `UNAVAILABLE`. */
  readonly statusCode: string;
  /** The error message sent to the client when `statusCode` is not `OK`. */
  readonly errorMessage?: string;
  /** The request's trace context, when it was traced. */
  readonly trace?: EventTraceContext;
  /**
   * What the model-server knows of the model version: `source_uri` and `lineage.*` (its
   * provenance), from ModelMetadata's parameters; absent when none is known.
   */
  readonly modelLineage?: Readonly<Record<string, string>>;
}

/** The status code name of a successful request. */
export const STATUS_OK = 'OK';
