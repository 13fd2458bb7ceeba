/**
 * @sightline/outlier: outlier detection (Isolation Forest, Mahalanobis, autoencoder) on
 * request, over stored history and on the live inference event stream, served as
 * `sightline.outlier.v1.OutlierService`.
 */
export * from './config.js';
export { OutlierDataPlane } from './data-plane/outlier-data-plane.js';
export type * from './data-plane/outlier-types.js';
export { runOutlier } from './main.js';
export { type OutlierHandle, type OutlierParts, startOutlier } from './outlier.js';
export { OUTLIER_CLOUD_EVENT_TYPE } from './results/outlier-event-sink.js';
