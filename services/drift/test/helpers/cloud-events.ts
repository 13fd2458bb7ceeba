/**
 * Live InferenceEvents for the iris model and their delivery to `POST /events` as
 * CloudEvents in binary, structured or batched mode, as the router's sink and a Knative
 * Trigger send them.
 */
import { type InferenceEvent, toCloudEvent } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
import { HTTP } from 'cloudevents';
import { irisTensor } from './drift-test-service.js';

/** Event `i` of the iris model: one row, shifted by `shift`, at `timeUnixMs`. */
export function irisEvent(
  i: number,
  options: { shift?: number; timeUnixMs?: number; id?: string } = {},
): InferenceEvent {
  return sampleEvent(i, {
    ...(options.id ? { eventId: options.id } : {}),
    inputs: [irisTensor(1, 1000 + i, options.shift ?? 0)],
    ...(options.timeUnixMs !== undefined ? { timeUnixMs: options.timeUnixMs } : {}),
  });
}

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
      headers: { 'content-type': 'application/cloudevents-batch+json' },
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
