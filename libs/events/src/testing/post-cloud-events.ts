/**
 * Delivers InferenceEvents to a service's `POST /events` as CloudEvents in binary,
 * structured or batched mode, as the router's sink and a Knative Trigger send them (tests
 * of every service that consumes the stream).
 */
import { HTTP } from 'cloudevents';
import { toCloudEvent } from '../cloudevents/cloud-event-mapping.js';
import type { InferenceEvent } from '../inference-event.js';
import { BATCH_CONTENT_TYPE } from '../ingress/cloudevents-ingress.js';

/** How the events travel. */
export type DeliveryMode = 'binary' | 'structured' | 'batch';

/** POSTs `events` to `url` (binary and structured: one request per event); the last answer. */
export async function postEvents(
  url: string,
  events: readonly InferenceEvent[],
  mode: DeliveryMode,
): Promise<Response> {
  if (mode === 'batch') {
    return fetch(url, {
      method: 'POST',
      headers: { 'content-type': BATCH_CONTENT_TYPE },
      body: JSON.stringify(events.map((event) => toCloudEvent(event).toJSON())),
    });
  }
  let last: Response | undefined;
  for (const event of events) {
    const message =
      mode === 'binary' ? HTTP.binary(toCloudEvent(event)) : HTTP.structured(toCloudEvent(event));
    last = await fetch(url, {
      method: 'POST',
      headers: message.headers as Record<string, string>,
      body: message.body as string,
    });
    if (last.status !== 202) return last;
  }
  return last!;
}
