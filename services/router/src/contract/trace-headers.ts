/**
 * The caller's W3C trace context read straight from its request headers, for a router
 * that records no spans of its own (no trace exporter). Such a router installs no
 * AsyncLocalStorage context (on Node 20 it turns on promise hooks for every promise of
 * the process) and starts no spans; it passes the caller's `traceparent`, `tracestate`
 * and `baggage` on to every upstream call as they came, so the trace stays whole across
 * the services that do record spans. Rules follow https://www.w3.org/TR/trace-context/.
 */

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ALL_ZERO = /^0+$/;

/** The trace a request belongs to, as the caller sent it. */
export interface IncomingTrace {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** The caller's `traceparent`, in version 00 form. */
  readonly traceparent: string;
  /** The headers to send upstream: `traceparent`, and `tracestate`/`baggage` when present. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The caller's trace from its headers (lower-case names), or undefined when it sent no
 * valid `traceparent` (then nothing is forwarded, as a propagator would do).
 */
export function incomingTrace(headers: Readonly<Record<string, string>>): IncomingTrace | undefined {
  const value = headers.traceparent;
  if (value === undefined) return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (!match) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  // Version ff is invalid; version 00 has exactly four fields. Later versions may add fields.
  if (version === 'ff' || (version === '00' && rest !== undefined)) return undefined;
  if (ALL_ZERO.test(traceId) || ALL_ZERO.test(spanId)) return undefined;
  // Only the sampled flag is defined for version 00.
  const traceparent = `00-${traceId}-${spanId}-${Number.parseInt(flags, 16) & 1 ? '01' : '00'}`;
  const forwarded: Record<string, string> = { traceparent };
  if (headers.tracestate !== undefined) forwarded.tracestate = headers.tracestate;
  if (headers.baggage !== undefined) forwarded.baggage = headers.baggage;
  return { traceId, traceparent, headers: forwarded };
}
