/**
 * Generated contracts, one namespace per protobuf package. Everything under `gen/` is produced
 * by `buf generate` from proto/ at build time and is never edited or committed.
 *
 * Namespaces keep the packages apart: several of them define messages of the same name
 * (`Detector`, `CreateDetectorRequest`, ...), so a flat re-export would collide. Shapes
 * every contract shares (`Tensor`, `TimeRange`, ...) live once in `commonV1`.
 */

export * as commonV1 from './gen/sightline/common/v1/common.js';
export * as driftV1 from './gen/sightline/drift/v1/drift.js';
export * as eventsV1 from './gen/sightline/events/v1/events.js';
export * as explainerV1 from './gen/sightline/explainer/v1/explainer.js';
export * as metricsV1 from './gen/sightline/metrics/v1/metrics.js';
export * as outlierV1 from './gen/sightline/outlier/v1/outlier.js';
export * as routerV1 from './gen/sightline/router/v1/router.js';
export * as tracesV1 from './gen/sightline/traces/v1/traces.js';
export * as inference from './inference.js';
