/**
 * W3C trace context in gRPC metadata: `traceparent`/`tracestate` (and `baggage`) travel as
 * ordinary metadata keys, the same way grpc-go, grpc-java and Envoy carry them.
 */
import type { Metadata } from '@grpc/grpc-js';
import {
  type Context,
  context,
  propagation,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (carrier) => Object.keys(carrier.getMap()),
  get: (carrier, key) => {
    const values = carrier.get(key);
    if (values.length === 0) return undefined;
    return values.map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
  },
};

const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** The trace context a caller sent, as an OpenTelemetry context. */
export function extractTraceContext(metadata: Metadata, base: Context = context.active()): Context {
  return propagation.extract(base, metadata, metadataGetter);
}

/** Writes the active (or given) trace context into outgoing metadata. */
export function injectTraceContext(metadata: Metadata, from: Context = context.active()): Metadata {
  propagation.inject(from, metadata, metadataSetter);
  return metadata;
}
