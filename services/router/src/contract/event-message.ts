/**
 * EventService messages <-> the events library's domain types. Tensors are read back with
 * typed contents (the InferenceEvent contract); FP16 and BF16, which have no typed field,
 * keep their name, datatype and shape and carry no contents.
 */
import type { eventsV1, inference } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { EventQueryRequest, EventTailRequest, InferenceEvent, TailItem } from '@sightline/events';
import { recordToParameters, type Tensor, tensorToContents } from '@sightline/tensor';

/** EventOrder values (proto/sightline/events/v1/events.proto), by number. */
const ORDERS: Record<number, EventQueryRequest['order']> = {
  0: 'oldest-first',
  1: 'oldest-first',
  2: 'newest-first',
};

/** Datatypes with no typed contents field. */
const NO_TYPED_CONTENTS = new Set(['FP16', 'BF16']);

/** A Timestamp as whole milliseconds (NaN for one outside a Date's range: the domain refuses it). */
function unixMs(time: Date | undefined): number | undefined {
  return time === undefined ? undefined : time.getTime();
}

/**
 * The query a QueryEventsRequest asks for.
 * @throws InvalidArgumentError for an `order` that is not an EventOrder value.
 */
export function queryFromMessage(message: eventsV1.QueryEventsRequest): EventQueryRequest {
  const order = ORDERS[message.order];
  if (order === undefined) {
    throw new InvalidArgumentError(
      `order: ${message.order} is no EventOrder value; use EVENT_ORDER_OLDEST_FIRST (1) or EVENT_ORDER_NEWEST_FIRST (2)`,
    );
  }
  const fromUnixMs = unixMs(message.fromTime);
  const toUnixMs = unixMs(message.toTime);
  return {
    ...(fromUnixMs !== undefined && { fromUnixMs }),
    ...(toUnixMs !== undefined && { toUnixMs }),
    modelName: message.modelName,
    graph: message.graph,
    requestId: message.requestId,
    statusCode: message.statusCode,
    limit: message.limit,
    order,
  };
}

/** The tail a TailEventsRequest asks for. */
export function tailFromMessage(message: eventsV1.TailEventsRequest): EventTailRequest {
  return { last: message.last, follow: message.follow, graph: message.graph, modelName: message.modelName };
}

function tensorMessage(tensor: Tensor): inference.ModelInferRequest_InferInputTensor {
  return {
    name: tensor.name,
    datatype: tensor.datatype,
    shape: tensor.shape.map((d) => BigInt(d)),
    parameters: {},
    ...(!NO_TYPED_CONTENTS.has(tensor.datatype) && { contents: tensorToContents(tensor) }),
  };
}

/** An event as the InferenceEvent message. */
export function eventToMessage(event: InferenceEvent): eventsV1.InferenceEvent {
  return {
    eventId: event.eventId,
    requestId: event.requestId,
    time: new Date(event.timeUnixMs),
    source: event.source,
    graph: event.graph,
    nodePath: [...event.nodePath],
    modelName: event.modelName,
    modelVersion: event.modelVersion,
    inputs: event.inputs.map(tensorMessage),
    outputs: event.outputs.map(tensorMessage),
    requestParameters: recordToParameters(event.requestParameters),
    responseParameters: recordToParameters(event.responseParameters),
    timings: {
      totalMs: event.timings.totalMs,
      modelMs: event.timings.modelMs ?? 0,
      nodeMs: { ...event.timings.nodeMs },
    },
    statusCode: event.statusCode,
    errorMessage: event.errorMessage ?? '',
    trace: { traceparent: event.trace?.traceparent ?? '', tracestate: event.trace?.tracestate ?? '' },
    modelLineage: { ...event.modelLineage },
  };
}

/** One TailEvents message. */
export function tailItemToMessage(item: TailItem): eventsV1.TailEventsResponse {
  return item.kind === 'event'
    ? { event: eventToMessage(item.event) }
    : { caughtUp: { storedEvents: item.storedEvents } };
}
