/**
 * @sightline/drift: feature drift detection on the live inference event stream and over
 * stored history, served as `sightline.drift.v1.DriftService`.
 */
export * from './config.js';
export { DriftDataPlane } from './data-plane/drift-data-plane.js';
export type * from './data-plane/drift-engine.js';
export * from './data-plane/drift-types.js';
export { type DriftHandle, type DriftParts, startDrift } from './drift.js';
export { runDrift } from './main.js';
export type * from './results/drift-event.js';
export { DRIFT_CLOUD_EVENT_TYPE } from './results/drift-event-sink.js';
