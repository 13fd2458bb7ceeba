/** Test helpers for consumers of @sightline/events (`@sightline/events/testing`). */

export { type DeliveryMode, postEvents } from './post-cloud-events.js';
export { RecordingEventLogger, sampleEvent } from './sample-events.js';
