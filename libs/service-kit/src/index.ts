export {
  bidiStream,
  type CallContext,
  type CallKit,
  DEADLINE_CANCEL_SLACK_MS,
  type ServerStreamHandler,
  type StreamMessageHandler,
  type StreamSend,
  serverStream,
  type UnaryHandler,
  unary,
} from './calls/call-handlers.js';
export { traceContextClientInterceptor } from './calls/client-trace-interceptor.js';
export {
  ATTR_COALESCED_CALLS,
  COALESCED_TRACEPARENTS_KEY,
  MAX_COALESCED_SPANS,
} from './calls/coalesced-spans.js';
export {
  type PlainEventSelector,
  rangeFromMessage,
  selectionFromMessage,
  selectionToMessage,
} from './calls/common-messages.js';
export {
  type MappedError,
  STATUS_MESSAGE_MAX_LENGTH,
  statusName,
  toGrpcStatus,
  type WithTrailingMetadata,
} from './calls/error-status.js';
export { GrpcServerMetrics, type MethodMetrics } from './calls/grpc-server-metrics.js';
export { decoded, tolerantDefinition, UndecodableRequest } from './calls/tolerant-definition.js';
export { extractTraceContext, injectTraceContext } from './calls/trace-metadata.js';
export { checkDirectorySetting } from './config/directory-setting.js';
export {
  DEFAULT_DEDUPLICATION_WINDOW,
  DEFAULT_EVENT_RETRY_AFTER_SECONDS,
  DEFAULT_EVENTS_MAX_BODY_BYTES,
  DEFAULT_MAX_HISTORY_EVENTS,
  DEFAULT_MAX_HISTORY_RANGE_MS,
  DEFAULT_RESULT_LOG_RETENTION_BYTES,
  DEFAULT_RESULT_LOG_SEGMENT_BYTES,
  eventStreamSettings,
  type ResultLogLimits,
  resultLogSettings,
} from './config/event-stream-settings.js';
export {
  ConfigError,
  type ConfigSources,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SHUTDOWN_DELAY_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  describeConfig,
  isBooleanSetting,
  loadConfig,
  type ServerConfig,
  serverConfigSchema,
  toEnvName,
  toFlagName,
} from './config/server-config.js';
export { createLogger, LOGGED_ERROR_TEXT_MAX_LENGTH, type Logger } from './logger.js';
export { DataDirLock, type DataDirLockOwner, dataDirLockFile } from './server/data-dir-lock.js';
export {
  bindServer,
  createServiceServer,
  type ServiceServer,
  serverCredentials,
} from './server/grpc-server.js';
export {
  type HttpRoute,
  type HttpSideServerOptions,
  startHttpSideServer,
} from './server/http-side-server.js';
export { handleSignals, type RunningService, runService, type ServiceSpec } from './server/service-runner.js';
export { startingProxy } from './server/starting-proxy.js';
