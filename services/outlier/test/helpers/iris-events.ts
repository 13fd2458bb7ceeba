/** Live InferenceEvents of the iris model carrying iris-like rows (or far-off ones). */
import type { InferenceEvent } from '@sightline/events';
import { sampleEvent } from '@sightline/events/testing';
import { irisTensor } from './outlier-test-service.js';

/** Event `i` of the iris model: `rows` rows moved by `shift`, at `timeUnixMs`. */
export function irisEvent(
  i: number,
  options: { shift?: number; rows?: number; timeUnixMs?: number; modelName?: string } = {},
): InferenceEvent {
  return sampleEvent(i, {
    inputs: [irisTensor(options.rows ?? 1, 1000 + i, options.shift ?? 0)],
    ...(options.timeUnixMs !== undefined ? { timeUnixMs: options.timeUnixMs } : {}),
    ...(options.modelName !== undefined ? { modelName: options.modelName } : {}),
  });
}
