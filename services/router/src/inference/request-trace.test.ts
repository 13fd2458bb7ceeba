import { describe, expect, it } from 'vitest';
import { newRequestTrace } from './request-trace.js';

describe('newRequestTrace', () => {
  it('makes W3C trace contexts with ids that are hex, never all zero, and distinct across pool refills', () => {
    const seen = new Set<string>();
    // 1,000 contexts draw 24,000 bytes: several refills of the 4 KiB random pool.
    for (let i = 0; i < 1_000; i++) {
      const trace = newRequestTrace();
      const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(trace.traceparent);
      expect(match, trace.traceparent).not.toBeNull();
      expect(match![1]).toBe(trace.traceId);
      expect(trace.traceId).not.toBe('0'.repeat(32));
      expect(match![2]).not.toBe('0'.repeat(16));
      expect(trace.headers).toEqual({ traceparent: trace.traceparent });
      seen.add(trace.traceId);
    }
    expect(seen.size).toBe(1_000);
  });
});
