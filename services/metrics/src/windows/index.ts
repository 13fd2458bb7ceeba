export {
  BUCKET_SUMMARY_SCHEMA_VERSION,
  BucketSummary,
  type BucketSummaryJson,
  type CbpeSumsJson,
  type PairAccumulator,
} from './bucket-summary.js';
export {
  CONCEPT_DRIFT_MONITOR_SCHEMA_VERSION,
  type ConceptDriftChange,
  ConceptDriftMonitor,
  type ConceptDriftMonitorJson,
} from './concept-drift-monitor.js';
export { CountWindow, type CountWindowMetrics } from './count-window.js';
export {
  applyDirty,
  type DirtyBucket,
  MetricWindows,
  type PairOutcome,
  type PersistedBucket,
  type WindowStep,
} from './metric-windows.js';
export { pairLoss } from './pair-values.js';
export type { SegmentOverflow } from './segment-registry.js';
export {
  decodeWindowKey,
  encodeSeriesKey,
  encodeWindowKey,
  type SegmentRef,
  type WindowKey,
} from './window-key.js';
export {
  type CbpeWindowMetrics,
  type ClassificationWindowMetrics,
  DEFAULT_F1_BOOTSTRAP_MAX_PAIRS,
  DEFAULT_F1_BOOTSTRAP_RESAMPLES,
  type EstimateWithInterval,
  type F1BootstrapOptions,
  LATENCY_QUANTILES,
  OUTPUT_SHIFT_BINS,
  type SketchQuantiles,
  summaryMetrics,
  type WindowMetrics,
  type WindowMetricsOptions,
} from './window-metrics.js';
export {
  type ConceptDriftDetectorName,
  type ConceptDriftOptions,
  DEFAULT_BUCKET_AUC_BINS,
  DEFAULT_BUCKET_WIDTH_MS,
  DEFAULT_MAX_OPEN_BUCKETS,
  DEFAULT_MAX_SEGMENT_VALUES,
  DEFAULT_MAX_SERIES,
  DEFAULT_MAX_SERIES_STEPS,
  DEFAULT_ROLLUP_WIDTH_MS,
  MAX_SEGMENT_NAMES,
  type MetricWindowsOptions,
  OVERFLOW_SEGMENT_VALUE,
  type ResolvedWindowOptions,
  resolveWindowOptions,
  type SummaryOptions,
  WINDOW_DDM_DEFAULTS,
} from './window-options.js';
