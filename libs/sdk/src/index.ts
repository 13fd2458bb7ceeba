/**
 * @sightline/sdk: the TypeScript client of Sightline. Start at {@link Sightline}.
 * Errors are the shared `SightlineError` family of @sightline/errors, re-exported here.
 */
export {
  AlreadyExistsError,
  CancelledError,
  DeadlineExceededError,
  type ErrorCode,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  isSightlineError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  SightlineError,
  UnauthenticatedError,
  UnavailableError,
  UnimplementedError,
} from '@sightline/errors';
export type { Datatype, ParameterRecord, ParameterValue, Tensor } from '@sightline/tensor';
export type { CallOptions } from './core/call-options.js';
export { Caller, type Idempotency, type MethodDefinition } from './core/caller.js';
export { TRACE_ID_TRAILER, toSightlineError, traceIdOf } from './core/grpc-error.js';
export {
  DEFAULT_CHANNEL_OPTIONS,
  DEFAULT_DEADLINE_MS,
  DEFAULT_DRIFT_ADDRESS,
  DEFAULT_EXPLAINER_ADDRESS,
  DEFAULT_KEEPALIVE_TIME_MS,
  DEFAULT_KEEPALIVE_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_METRICS_ADDRESS,
  DEFAULT_MODEL_SERVER_ADDRESS,
  DEFAULT_OUTLIER_ADDRESS,
  DEFAULT_RETRY_INITIAL_BACKOFF_MS,
  DEFAULT_RETRY_MAX_ATTEMPTS,
  DEFAULT_RETRY_MAX_BACKOFF_MS,
  DEFAULT_ROUTER_ADDRESS,
  DEFAULT_TRACES_ADDRESS,
  type ResolvedOptions,
  type RetryOptions,
  type SightlineAddresses,
  type SightlineOptions,
  type TlsOptions,
} from './core/options.js';
export type { EventSelector } from './data/event-selector.js';
export type { InputSpec } from './data/input-spec.js';
export {
  type BatchData,
  type DataColumn,
  type DataTable,
  isDataTable,
} from './data/table-data.js';
export {
  DRIFT_KINDS,
  type DriftCorrection,
  type DriftDetectorSettings,
  type DriftKind,
  type EffectSizeAlertSettings,
  type EffectSizeName,
  type KsAlternative,
  type KsMethodName,
  SETTINGS_OF_KIND,
} from './drift/detector-settings.js';
export {
  type AttachOptions,
  type CreateDetectorOptions,
  type DetectorPage,
  DriftClient,
  type DriftEventPage,
  type FitFromEvents,
  type FitOptions,
  type InferThresholdOptions,
  type InferThresholdResult,
  type ListDetectorsOptions,
  type ListDriftEventsOptions,
  type PredictOptions,
  type ScoreHistoryOptions,
} from './drift/drift-client.js';
export { type DriftColumn, type DriftData, type DriftTable, isDriftTable } from './drift/drift-data.js';
export type {
  DriftApproximation,
  DriftDetector,
  DriftDetectorDetails,
  DriftEffectSizes,
  DriftEventRecord,
  DriftHistoryItem,
  DriftHistoryProgress,
  DriftHistoryProgressItem,
  DriftHistoryWindow,
  DriftHistoryWindowItem,
  DriftInputSpec,
  DriftLineage,
  DriftMeta,
  DriftPrediction,
  DriftQualityCounts,
  DriftScore,
  DriftVerdict,
  FeatureDriftResult,
  OnlineRowResult,
} from './drift/drift-results.js';
export type {
  DriftEventSelector,
  DriftTrailingReference,
  DriftWindowOptions,
} from './drift/event-selection.js';
export {
  type EventQueryOptions,
  EventsClient,
  type EventTailCaughtUp,
  type EventTailEvent,
  type EventTailItem,
  type EventTailOptions,
  type StoredEvent,
  type TimeInput,
} from './events/events-client.js';
export { ExplainerClient, type ExplanationJobPage } from './explainer/explainer-client.js';
export {
  type ExplainInput,
  type ExplainMethod,
  explainRequestOf,
  type GlobalExplainInput,
  globalExplainRequestOf,
} from './explainer/explainer-requests.js';
export type {
  Explanation,
  ExplanationJob,
  ExplanationJobState,
  ExplanationMeta,
  ExplanationUsage,
  FeatureAttribution,
  FeatureImportance,
  GlobalExplanation,
  GlobalGroup,
  OutputAttributions,
  RowExplanation,
} from './explainer/explainer-results.js';
export {
  type ApplyGraphResult,
  type GraphDocumentSource,
  type GraphPage,
  type GraphProblem,
  type GraphSource,
  type GraphSpec,
  type GraphSpecSource,
  GraphsClient,
  type ListGraphsOptions,
  type StoredGraph,
  type ValidateGraphResult,
} from './graphs/graphs-client.js';
export {
  type InferInput,
  type InferInputs,
  type InputData,
  type Nested,
  type TypedArrayData,
  toTensor,
  toTensors,
} from './inference/infer-input.js';
export { InferOutput, type NestedElement, type ToNestedOptions } from './inference/infer-output.js';
export {
  buildInferRequest,
  type InferOptions,
  type InferRequestOptions,
  type RequestedOutput,
} from './inference/infer-request.js';
export { decodeInferResult, type InferResult, TRACE_ID_PARAMETER } from './inference/infer-result.js';
export {
  InferenceClient,
  type ModelCallOptions,
  type ModelMetadata,
  type ServerMetadata,
  type StreamInferAnswer,
  type StreamInferFailure,
  type StreamInferRequest,
  type StreamInferSuccess,
  type TensorMetadata,
} from './inference/inference-client.js';
export {
  MetricsClient,
  type Page,
  type PageOptions,
  type SendFeedbackOptions,
} from './metrics/metrics-client.js';
export {
  alertComparisons,
  alertMetrics,
  alertStates,
  annotationItemStates,
  annotationPolicies,
  comparisonMetrics,
  comparisonTests,
  conceptDriftDetectors,
  conceptDriftStates,
} from './metrics/metrics-enum-codecs.js';
export { type EnumCodec, enumName } from './metrics/metrics-enums.js';
export {
  type AlertRuleInput,
  type AnnotationAnswer,
  type AnnotationQueueInput,
  type CompareVersionsInput,
  type ComputePairs,
  DEFAULT_FEEDBACK_ROWS_PER_CALL,
  type ExactSeries,
  type FeedbackInput,
  feedbackBatches,
  feedbackRows,
  type GetMetricsOptions,
  type SeriesSelection,
  type TimeWindow,
} from './metrics/metrics-requests.js';
export type {
  Alert,
  AlertRule,
  AnnotationItem,
  AnnotationQueue,
  AnnotationQueueCounts,
  AveragedScores,
  CbpeEstimate,
  ClassificationMetrics,
  ClassScores,
  ComputedMetrics,
  ConceptDriftStatus,
  DistributionShift,
  DleEstimate,
  FeedbackCounts,
  FeedbackResult,
  FeedbackRowOutcome,
  MetricInterval,
  MetricsReport,
  MetricsSegment,
  MetricsSeries,
  MetricValue,
  PredictedRow,
  PredictionDistribution,
  RegressionMetrics,
  RocAuc,
  SketchQuantiles,
  VersionComparison,
  WindowMetrics,
} from './metrics/metrics-results.js';
export {
  type IndexOptions,
  type LoadOptions,
  type ModelIndexEntry,
  ModelsClient,
} from './models/models-client.js';
export {
  type CreateOutlierDetectorOptions,
  type ListOutlierDetectorsOptions,
  type ListOutlierEventsOptions,
  type OutlierAttachOptions,
  OutlierClient,
  type OutlierDetectorPage,
  type OutlierEventPage,
  type OutlierFitFromEvents,
  type OutlierFitOptions,
  type OutlierInferThresholdOptions,
  type OutlierInferThresholdResult,
  type OutlierPredictOptions,
  type OutlierScoreHistoryOptions,
} from './outlier/outlier-client.js';
export { OUTLIER_LABEL_COLUMN, type OutlierData } from './outlier/outlier-data.js';
export type {
  FitProgressItem,
  OutlierDetector,
  OutlierDetectorDetails,
  OutlierDetectorState,
  OutlierEventRecord,
  OutlierEventVerdict,
  OutlierHistoryPage,
  OutlierHistoryProgress,
  OutlierLineage,
  OutlierMeta,
  OutlierPrediction,
  OutlierScores,
  OutlierVerdict,
  ThresholdSource,
  TrainingProgress,
} from './outlier/outlier-results.js';
export {
  OUTLIER_KINDS,
  OUTLIER_SETTINGS_OF_KIND,
  type OutlierDetectorSettings,
  type OutlierKind,
} from './outlier/outlier-settings.js';
export { Sightline } from './sightline.js';
export {
  type ListTracesOptions,
  type Trace,
  type TraceAttribute,
  type TraceList,
  type TraceSpan,
  type TraceSpanEvent,
  type TraceSpanKind,
  type TraceSpanStatus,
  type TraceStoreEvictions,
  type TraceSummary,
  TracesClient,
} from './traces/traces-client.js';
