/**
 * Span builders for this package's unit tests (not exported from the package).
 */
import type { StoredSpan } from '../../src/store/stored-span.js';

/** A trace id from a small number: `0000...0001`. */
export function traceIdOf(n: number): string {
  return n.toString(16).padStart(32, '0');
}

/** A span id from a small number. */
export function spanIdOf(n: number): string {
  return n.toString(16).padStart(16, '0');
}

/** A span with defaults for every field `overrides` leaves out. */
export function storedSpan(
  overrides: Partial<StoredSpan> & Pick<StoredSpan, 'traceId' | 'spanId'>,
): StoredSpan {
  return {
    parentSpanId: '',
    name: 'op',
    serviceName: 'svc',
    kind: 'internal',
    startTimeUnixNano: 1_000_000_000n,
    endTimeUnixNano: 1_002_000_000n,
    status: { code: 'unset', message: '' },
    attributes: [],
    events: [],
    scopeName: 'test',
    resourceAttributes: [],
    ...overrides,
  };
}
