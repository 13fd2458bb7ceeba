/** Test helpers for consumers of @sightline/events (`@sightline/events/testing`). */
export { RecordingEventLogger, sampleEvent } from './sample-events.js';
