/**
 * @sightline/trace-store: a dev trace store. An embedded OTLP/HTTP receiver keeps recent
 * spans in memory (bounded by span count, trace count and age) and the gRPC
 * `sightline.traces.v1.TraceService` reads them back; a waterfall renders one trace as text.
 */
export {
  DEFAULT_MAX_AGE_MS,
  DEFAULT_MAX_OTLP_BODY_BYTES,
  DEFAULT_MAX_SPANS,
  DEFAULT_MAX_TRACES,
  DEFAULT_OTLP_PORT,
  TRACE_STORE_PORTS,
  type TraceStoreConfig,
  traceStoreConfigSchema,
} from './config.js';
export { runTraceStore } from './main.js';
export {
  type ExportOutcome,
  OTLP_TRACES_PATH,
  type OtlpHttpReceiver,
  type OtlpHttpReceiverOptions,
  type SpanSink,
  startOtlpHttpReceiver,
} from './otlp/otlp-http-receiver.js';
export { TRACE_SERVICE_NAME } from './server.js';
export type {
  SpanAttribute,
  SpanEventRecord,
  SpanKindName,
  SpanStatusName,
  StoredSpan,
} from './store/stored-span.js';
export {
  DEFAULT_LIST_LIMIT,
  MAX_LIST_LIMIT,
  MAX_SERVICE_FILTER_LENGTH,
  parseListFilter,
  parseTraceId,
} from './store/trace-query.js';
export {
  type AddResult,
  type StoreEvictionCounts,
  type TraceList,
  type TraceListFilter,
  TraceStore,
  type TraceStoreLimits,
} from './store/trace-store.js';
export type { TraceSummary } from './store/trace-summary.js';
export {
  AGE_SWEEP_INTERVAL_MS,
  startTraceStore,
  type TraceStoreHandle,
  type TraceStoreParts,
} from './trace-store-service.js';
export * from './waterfall/index.js';
