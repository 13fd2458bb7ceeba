export { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
export {
  type DetectorInfo,
  detectorLabelName,
  registerDetectorInfo,
} from './detector-info-metric.js';
export {
  FastCounter,
  type FastCounterChild,
  FastHistogram,
  type FastHistogramChild,
} from './fast-metrics.js';
export {
  BATCH_SIZE_BUCKETS,
  createMetricsRegistry,
  LATENCY_BUCKETS_SECONDS,
  type MetricsRegistryOptions,
} from './metrics.js';
export { type ResultLogSource, registerResultLogGauges } from './result-log-metrics.js';
export {
  createTracing,
  parseResourceAttributes,
  resolveTraceExporter,
  type TraceExporterChoice,
  type Tracing,
  type TracingOptions,
} from './tracing.js';
