/**
 * Server spans of a coalesced call: one call that carries the work of several callers (the
 * router stacks concurrent outlier Predict calls into one) is recorded in each caller's
 * trace. The call's own span has the first caller's context (its `traceparent`); the others'
 * contexts travel in {@link COALESCED_TRACEPARENTS_KEY}, and each gets a span of its own
 * (same name, kind and attributes, a link to the call's span, ended with the same status),
 * so every request's trace shows the hop it made. The OpenTelemetry convention for batches
 * is links alone; a trace that lost its hop would send an operator to the wrong service.
 */
import type { Metadata } from '@grpc/grpc-js';
import {
  type Context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  type SpanOptions,
  type SpanStatus,
  type Tracer,
  trace,
} from '@opentelemetry/api';

/** Metadata key: the W3C `traceparent`s of a coalesced call's other callers, comma-separated. */
export const COALESCED_TRACEPARENTS_KEY = 'sightline-coalesced-traceparents';
/** Span attribute: how many callers' work one coalesced call carried. */
export const ATTR_COALESCED_CALLS = 'sightline.coalesced_calls';
/** Most callers' spans one call starts; a longer list is cut (the header is the caller's to bound). */
export const MAX_COALESCED_SPANS = 256;

/**
 * Starts a span per traceparent in `metadata`'s {@link COALESCED_TRACEPARENTS_KEY} (none
 * when absent: the common case costs one lookup), each linked to `primary`.
 */
export function startCoalescedSpans(
  tracer: Tracer,
  method: string,
  options: SpanOptions,
  metadata: Metadata,
  primary: Span,
): Span[] | undefined {
  const values = metadata.get(COALESCED_TRACEPARENTS_KEY);
  if (values.length === 0) return undefined;
  // The header is the caller's: only a valid traceparent starts a span (an invalid one would
  // start a new trace), and each once, never the call's own (no caller's trace gets repeats).
  const own = metadata.get('traceparent')[0];
  const seen = new Set<string>(typeof own === 'string' ? [own.trim()] : []);
  const parents: Context[] = [];
  for (const value of values) {
    for (const part of (typeof value === 'string' ? value : value.toString('utf8')).split(',')) {
      if (parents.length >= MAX_COALESCED_SPANS) break;
      const traceparent = part.trim();
      if (seen.has(traceparent)) continue;
      seen.add(traceparent);
      const parent = propagation.extract(ROOT_CONTEXT, { traceparent });
      const parentSpan = trace.getSpanContext(parent);
      if (parentSpan && isSpanContextValid(parentSpan)) parents.push(parent);
    }
  }
  if (parents.length === 0) return undefined;
  const calls = parents.length + 1;
  primary.setAttribute(ATTR_COALESCED_CALLS, calls);
  const link = { context: primary.spanContext() };
  return parents.map((parent) =>
    tracer.startSpan(
      method,
      { ...options, attributes: { ...options.attributes, [ATTR_COALESCED_CALLS]: calls }, links: [link] },
      parent,
    ),
  );
}

/** Ends `spans` as the call's own span ended: its status code attribute and status. */
export function endCoalescedSpans(
  spans: readonly Span[] | undefined,
  statusAttribute: string,
  code: number,
  status?: SpanStatus,
): void {
  if (!spans) return;
  for (const span of spans) {
    span.setAttribute(statusAttribute, code);
    if (status) span.setStatus(status);
    span.end();
  }
}
