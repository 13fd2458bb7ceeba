/**
 * The OpenTelemetry protocol (OTLP) trace messages and the `google.rpc.Status` an OTLP/HTTP
 * failure answers with, generated from the vendored upstream files in proto/opentelemetry
 * and proto/google/rpc (see proto/VENDORED.md). A separate entry point
 * (`@sightline/contracts/otlp`) so services that never decode OTLP do not load it.
 */

export * as googleRpc from './gen/google/rpc/status.js';
export * as otlpCollectorTraceV1 from './gen/opentelemetry/proto/collector/trace/v1/trace_service.js';
export * as otlpCommonV1 from './gen/opentelemetry/proto/common/v1/common.js';
export * as otlpResourceV1 from './gen/opentelemetry/proto/resource/v1/resource.js';
export * as otlpTraceV1 from './gen/opentelemetry/proto/trace/v1/trace.js';
