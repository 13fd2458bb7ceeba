/**
 * @sightline/events: the InferenceEvent, the pipeline that delivers it without slowing
 * requests, its sinks (file store, Elasticsearch, CloudEvents over HTTP) and the consumer
 * side (in-process fan-out, CloudEvents receiver).
 */

export {
  EXPLANATION_CLOUD_EVENT_TYPE,
  fromCloudEvent,
  INFERENCE_CLOUD_EVENT_TYPE,
  INFERENCE_EVENT_DATASCHEMA,
  OUTLIER_CLOUD_EVENT_TYPE,
  toCloudEvent,
} from './cloudevents/cloud-event-mapping.js';
export {
  CloudEventsEventSource,
  type CloudEventsHandlerOptions,
  type CloudEventsRequestHandler,
  createCloudEventsHandler,
  DEFAULT_CLOUD_EVENTS_MAX_BODY_BYTES,
} from './cloudevents/cloudevents-handler.js';
export {
  CLOUD_EVENTS_SINK_NAME,
  CloudEventsSink,
  type CloudEventsSinkOptions,
  DEFAULT_CLOUD_EVENTS_MAX_CONCURRENT_REQUESTS,
  DEFAULT_CLOUD_EVENTS_REQUEST_TIMEOUT_MS,
} from './cloudevents/cloudevents-sink.js';
export {
  RECORD_SINK_ATTEMPTS,
  RECORD_SINK_BACKOFF_MS,
  RECORD_SINK_MAX_BACKOFF_MS,
  type RecordCloudEventAttributes,
  RecordCloudEventSink,
  type RecordCloudEventSinkOptions,
} from './cloudevents/record-cloud-event-sink.js';
export type { DeferredInferenceEvent } from './deferred-event.js';
export * from './elasticsearch/elasticsearch-resources.js';
export {
  ELASTICSEARCH_SINK_NAME,
  ElasticsearchSink,
  type ElasticsearchSinkOptions,
} from './elasticsearch/elasticsearch-sink.js';
export {
  eventFromJson,
  eventToJson,
  type InferenceEventJson,
  parseEvent,
  serializeEvent,
} from './event-codec.js';
export { type EventLogger, silentEventLogger } from './event-logger.js';
export { type EventSink, SinkWriteError } from './event-sink.js';
export type { EventSource, EventSubscriber, EventSubscription } from './event-source.js';
export {
  FileEventStore,
  type RetentionResult,
  type SegmentInfo,
} from './file-store/file-event-store.js';
export * from './file-store/file-store-options.js';
export { FILE_STORE_SINK_NAME, FileStoreSink } from './file-store/file-store-sink.js';
export { SCHEMA_VERSION as FILE_FORMAT_SCHEMA_VERSION } from './file-store/record-format.js';
export type { SegmentView } from './file-store/segment-listing.js';
export { IN_PROCESS_SINK_NAME, InProcessEventBus } from './in-process-event-bus.js';
export * from './inference-event.js';
export {
  BATCH_CONTENT_TYPE,
  createEventsRoute,
  type EventsRouteOptions,
  type IngressObserver,
} from './ingress/cloudevents-ingress.js';
export {
  EventIngressQueue,
  type EventIngressQueueOptions,
  INGRESS_CONSUME_BATCH,
  type OfferRefusal,
  type OfferResult,
} from './ingress/event-ingress-queue.js';
export { feedIngressQueue } from './ingress/event-source-feed.js';
export { EventPipeline } from './pipeline/event-pipeline.js';
export * from './pipeline/pipeline-metrics.js';
export * from './pipeline/pipeline-options.js';
export * from './query/index.js';
export {
  DEFAULT_RECORD_LOG_RETENTION_BYTES,
  DEFAULT_RECORD_LOG_SEGMENT_BYTES,
  JsonlRecordLog,
  type JsonlRecordLogOptions,
  type RecordLogProblem,
} from './records/jsonl-record-log.js';
export type { TensorJson } from './tensor-json.js';
