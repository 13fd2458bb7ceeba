import { InvalidArgumentError } from '@sightline/errors';
import { CloudEvent, type CloudEventV1 } from 'cloudevents';
import { eventFromJson, eventToJson, type InferenceEventJson } from '../event-codec.js';
import type { InferenceEvent } from '../inference-event.js';

/**
 * The CloudEvents `type` of a logged prediction. One CloudEvent per InferenceEvent,
 * carrying request and response together (not a KServe-style request/response pair):
 * the router emits after answering, so it has both, and consumers (detectors, metrics)
 * need inputs and outputs side by side without joining two deliveries.
 */
export const INFERENCE_CLOUD_EVENT_TYPE = 'io.sightline.inference';
/** The CloudEvents type of the outlier service's OutlierEvents (its sink sends them; the metrics service takes them). */
export const OUTLIER_CLOUD_EVENT_TYPE = 'io.sightline.outlier';
/** The CloudEvents type of the explainer's ExplanationEvents (one per explained row, stored beside its prediction). */
export const EXPLANATION_CLOUD_EVENT_TYPE = 'io.sightline.explanation';

/** `dataschema` of the event's data: the versioned wire contract it mirrors. */
export const INFERENCE_EVENT_DATASCHEMA = 'urn:sightline:events:v1:InferenceEvent';

/**
 * Maps an InferenceEvent to a CloudEvent.
 * - `id` is the event id (not the request id: a shadow answer is a second event for the
 *   same request, and brokers deduplicate on source + id); the request id travels in the
 *   `requestid` extension.
 * - `source` is the emitting service, `subject` the graph (or model), `time` the event time.
 * - `traceparent`/`tracestate` follow the CloudEvents distributed tracing extension;
 *   `modelname`, `modelversion`, `graph` and `statuscode` let Knative Triggers filter.
 */
export function toCloudEvent(event: InferenceEvent): CloudEvent<InferenceEventJson> {
  const extensions: Record<string, string> = {
    requestid: event.requestId,
    modelname: event.modelName,
    statuscode: event.statusCode,
  };
  if (event.modelVersion) extensions.modelversion = event.modelVersion;
  if (event.graph) extensions.graph = event.graph;
  if (event.trace?.traceparent) extensions.traceparent = event.trace.traceparent;
  if (event.trace?.tracestate) extensions.tracestate = event.trace.tracestate;
  return new CloudEvent<InferenceEventJson>({
    specversion: '1.0',
    id: event.eventId,
    type: INFERENCE_CLOUD_EVENT_TYPE,
    source: event.source,
    subject: event.graph || event.modelName || undefined,
    time: new Date(event.timeUnixMs).toISOString(),
    datacontenttype: 'application/json',
    dataschema: INFERENCE_EVENT_DATASCHEMA,
    data: eventToJson(event),
    ...extensions,
  });
}

/**
 * Reads an InferenceEvent out of a received CloudEvent, checking its type and that its
 * `id` matches the data's event id.
 * @throws InvalidArgumentError naming the attribute or field and the rule it broke.
 */
export function fromCloudEvent(ce: CloudEventV1<unknown>): InferenceEvent {
  if (ce.type !== INFERENCE_CLOUD_EVENT_TYPE) {
    throw new InvalidArgumentError(
      `CloudEvent type: expected "${INFERENCE_CLOUD_EVENT_TYPE}", got "${ce.type}"`,
    );
  }
  let data: unknown = ce.data;
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data);
    } catch (cause) {
      throw new InvalidArgumentError('CloudEvent data: not valid JSON', { cause });
    }
  } else if (data instanceof Uint8Array) {
    data = JSON.parse(Buffer.from(data).toString('utf8'));
  }
  if (data === undefined || data === null) {
    throw new InvalidArgumentError('CloudEvent data: expected an InferenceEvent JSON object, got none');
  }
  const event = eventFromJson(data);
  if (event.eventId !== ce.id) {
    throw new InvalidArgumentError(
      `CloudEvent id: "${ce.id}" does not match data.eventId "${event.eventId}"`,
    );
  }
  return event;
}
