/**
 * The `grpc-timeout` header (gRPC over HTTP/2: `TimeoutValue TimeoutUnit`, at most 8 digits).
 */

/** Most digits of a `grpc-timeout` value (the spec's limit). */
export const GRPC_TIMEOUT_MAX_DIGITS = 8;

const UNITS: readonly (readonly [unit: string, ms: number])[] = [
  ['m', 1],
  ['S', 1_000],
  ['M', 60_000],
  ['H', 3_600_000],
];
const LIMIT = 10 ** GRPC_TIMEOUT_MAX_DIGITS;

/**
 * `timeoutMs` as a header value: the finest unit whose count fits in 8 digits, rounded up
 * (so the upstream never sees a shorter budget than the caller's, by at most one unit
 * longer), as grpc-js writes it. Undefined past 99,999,999 hours: no header (no deadline).
 */
export function encodeGrpcTimeout(timeoutMs: number): string | undefined {
  const ms = Math.max(0, timeoutMs);
  for (const [unit, factor] of UNITS) {
    const amount = Math.ceil(ms / factor);
    if (amount < LIMIT) return `${amount}${unit}`;
  }
  return undefined;
}

/** Every unit a header may carry: the ones written, and micro- and nanoseconds. */
const UNIT_MS: Readonly<Record<string, number>> = { ...Object.fromEntries(UNITS), u: 1e-3, n: 1e-6 };

/** A header value back in ms (for tests and logs); undefined when malformed. */
export function decodeGrpcTimeout(value: string): number | undefined {
  const match = /^([0-9]{1,8})([HMSmun])$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
