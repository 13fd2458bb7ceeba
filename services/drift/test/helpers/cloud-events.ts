/**
 * Live InferenceEvents for the iris model; their delivery to `POST /events` is libs/events'
 * `postEvents`.
 */
import type { InferenceEvent } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
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

export { type DeliveryMode, postEvents } from '@sightline/events/testing';
