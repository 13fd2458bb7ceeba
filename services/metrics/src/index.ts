/**
 * @sightline/metrics: model-quality monitoring with delayed feedback (issue 12).
 */

export * from './annotation/index.js';
export * from './config.js';
export {
  DEFAULT_RECORD_LIMITS,
  feedbackRecordProblem,
  isCleanText,
  MAX_ROW_INDEX,
  predictionRecordProblem,
  type RecordLimits,
  type RecordProblem,
} from './domain/record-rules.js';
export type {
  FeedbackRecord,
  JoinedPair,
  PredictionRecord,
  PredictionRow,
  SeriesKey,
  Truth,
} from './domain/records.js';
export {
  type AnnotationDeps,
  type AnnotationMethods,
  annotationHandlers,
} from './grpc/annotation-handlers.js';
export { type PredictionMappingOptions, predictionFromEvent } from './ingest/prediction-from-event.js';
export { runMetrics } from './main.js';
export {
  type MetricsHandle,
  type MetricsParts,
  type MetricsServiceContext,
  startMetrics,
} from './metrics.js';
export { coreHandlers, METRICS_SERVICE, registerMetricsService } from './server.js';
export type { DataPlaneObserver, MetricsEventSink } from './service/data-plane-hooks.js';
export { expandFeedback, type FeedbackItemInput } from './service/feedback-form.js';
export { MetricsDataPlane, type SendFeedbackResult } from './service/metrics-data-plane.js';
export { type GroupCommitOptions, GroupCommitWriter } from './store/group-commit-writer.js';
export type {
  DocumentPage,
  ExpiryResult,
  FeedbackOutcome,
  FeedbackStatus,
  ItemRejection,
  JoinedPairsPage,
  JoinedPairsQuery,
  MetricsStore,
  PredictionStatus,
  RecordFeedbackResult,
  RecordPredictionsResult,
  ReplacedPair,
  RetentionResult,
  SeriesCounts,
  SeriesRangeQuery,
  StoredDocument,
  SummaryFold,
  SummaryRecord,
} from './store/metrics-store.js';
export {
  PostgresMetricsStore,
  type PostgresMetricsStoreOptions,
} from './store/postgres/postgres-metrics-store.js';
export { CURRENT_SCHEMA_VERSION } from './store/schema-version.js';
export { SqliteMetricsStore, type SqliteMetricsStoreOptions } from './store/sqlite/sqlite-metrics-store.js';
export { DEFAULT_STORE_LIMITS, resolveStoreLimits, type StoreLimits } from './store/store-limits.js';
export * from './windows/index.js';
