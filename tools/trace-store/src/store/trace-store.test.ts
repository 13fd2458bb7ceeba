import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { spanIdOf, storedSpan, traceIdOf } from '../../test/helpers/test-spans.js';
import { approximateSpanBytes } from './stored-span.js';
import { TraceStore, type TraceStoreLimits } from './trace-store.js';

const ROOMY: TraceStoreLimits = { maxSpans: 1000, maxTraces: 100, maxBytes: 1e9, maxAgeMs: 60_000 };
const ALL = { minDurationNanos: 0n, sinceUnixNano: 0n, limit: 1000 } as const;

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('TraceStore', () => {
  it('groups spans by trace and returns them in start order', () => {
    const store = new TraceStore(ROOMY);
    const t = traceIdOf(1);
    store.add([
      storedSpan({ traceId: t, spanId: spanIdOf(2), parentSpanId: spanIdOf(1), startTimeUnixNano: 30n }),
      storedSpan({ traceId: t, spanId: spanIdOf(1), startTimeUnixNano: 10n, endTimeUnixNano: 100n }),
      storedSpan({ traceId: traceIdOf(2), spanId: spanIdOf(3) }),
    ]);
    expect(store.get(t)?.map((s) => s.spanId)).toEqual([spanIdOf(1), spanIdOf(2)]);
    expect(store.get(traceIdOf(9))).toBeUndefined();
    expect(store.spansHeld).toBe(3);
    expect(store.tracesHeld).toBe(2);
  });

  it('keeps one copy of a span sent twice (an exporter retry)', () => {
    const store = new TraceStore(ROOMY);
    const span = storedSpan({ traceId: traceIdOf(1), spanId: spanIdOf(1) });
    expect(store.add([span, span])).toEqual({ accepted: 2, rejected: 0 });
    expect(store.spansHeld).toBe(1);
  });

  it('summarises a trace: root, duration over all spans, services, error', () => {
    const store = new TraceStore(ROOMY);
    const t = traceIdOf(1);
    store.add([
      storedSpan({
        traceId: t,
        spanId: spanIdOf(1),
        name: 'root',
        serviceName: 'router',
        startTimeUnixNano: 100n,
        endTimeUnixNano: 200n,
      }),
      storedSpan({
        traceId: t,
        spanId: spanIdOf(2),
        parentSpanId: spanIdOf(1),
        serviceName: 'model-server',
        startTimeUnixNano: 90n,
        endTimeUnixNano: 250n,
        status: { code: 'error', message: 'boom' },
      }),
    ]);
    expect(store.list(ALL).traces).toEqual([
      {
        traceId: t,
        rootSpanName: 'root',
        rootServiceName: 'router',
        startTimeUnixNano: 90n,
        durationNanos: 160n,
        spanCount: 2,
        error: true,
        services: ['model-server', 'router'],
        rootMissing: false,
      },
    ]);
  });

  it('names the earliest span and says the root is missing when no parentless span is held', () => {
    const store = new TraceStore(ROOMY);
    store.add([
      storedSpan({ traceId: traceIdOf(1), spanId: spanIdOf(2), parentSpanId: spanIdOf(1), name: 'child' }),
    ]);
    expect(store.list(ALL).traces[0]).toMatchObject({ rootSpanName: 'child', rootMissing: true });
  });

  it('lists newest first and filters by service, minimum duration and start', () => {
    const store = new TraceStore(ROOMY);
    store.add([
      storedSpan({
        traceId: traceIdOf(1),
        spanId: spanIdOf(1),
        serviceName: 'a',
        startTimeUnixNano: 100n,
        endTimeUnixNano: 110n,
      }),
      storedSpan({
        traceId: traceIdOf(2),
        spanId: spanIdOf(2),
        serviceName: 'b',
        startTimeUnixNano: 300n,
        endTimeUnixNano: 400n,
      }),
      storedSpan({
        traceId: traceIdOf(3),
        spanId: spanIdOf(3),
        serviceName: 'a',
        startTimeUnixNano: 200n,
        endTimeUnixNano: 500n,
      }),
    ]);
    const ids = (filter: Partial<Parameters<TraceStore['list']>[0]>) =>
      store.list({ ...ALL, ...filter }).traces.map((t) => t.traceId);
    expect(ids({})).toEqual([traceIdOf(2), traceIdOf(3), traceIdOf(1)]);
    expect(ids({ service: 'a' })).toEqual([traceIdOf(3), traceIdOf(1)]);
    expect(ids({ rootService: 'b' })).toEqual([traceIdOf(2)]);
    expect(ids({ rootSpanName: 'o' })).toEqual([traceIdOf(2), traceIdOf(3), traceIdOf(1)]);
    expect(ids({ rootSpanName: 'other' })).toEqual([]);
    expect(ids({ minDurationNanos: 100n })).toEqual([traceIdOf(2), traceIdOf(3)]);
    expect(ids({ sinceUnixNano: 200n })).toEqual([traceIdOf(2), traceIdOf(3)]);
    expect(store.list({ ...ALL, limit: 1 })).toMatchObject({
      totalMatching: 3,
      traces: [{ traceId: traceIdOf(2) }],
    });
  });

  it('drops the oldest whole traces past maxTraces and counts them', () => {
    const store = new TraceStore({ ...ROOMY, maxTraces: 2 });
    for (const n of [1, 2, 3]) store.add([storedSpan({ traceId: traceIdOf(n), spanId: spanIdOf(n) })]);
    expect(store.get(traceIdOf(1))).toBeUndefined();
    expect(store.tracesHeld).toBe(2);
    expect(store.evictions()).toMatchObject({ tracesEvicted: 1, spansEvictedForSpace: 1 });
  });

  it('keeps a trace that is still receiving spans ahead of older-touched ones', () => {
    const store = new TraceStore({ ...ROOMY, maxSpans: 3 });
    store.add([storedSpan({ traceId: traceIdOf(1), spanId: spanIdOf(1) })]);
    store.add([storedSpan({ traceId: traceIdOf(2), spanId: spanIdOf(2) })]);
    store.add([storedSpan({ traceId: traceIdOf(1), spanId: spanIdOf(3) })]);
    store.add([storedSpan({ traceId: traceIdOf(3), spanId: spanIdOf(4) })]);
    expect(store.get(traceIdOf(2))).toBeUndefined();
    expect(store.get(traceIdOf(1))).toHaveLength(2);
    expect(store.spansHeld).toBe(3);
  });

  it('refuses spans of one trace past maxSpans instead of evicting everything else', () => {
    const store = new TraceStore({ ...ROOMY, maxSpans: 2 });
    const result = store.add(
      [1, 2, 3].map((n) => storedSpan({ traceId: traceIdOf(1), spanId: spanIdOf(n) })),
    );
    expect(result).toEqual({ accepted: 2, rejected: 1 });
    expect(store.evictions().spansRejected).toBe(1);
    expect(store.spansHeld).toBe(2);
  });

  it('drops traces whose newest span arrived more than maxAgeMs ago', () => {
    const time = clock();
    const store = new TraceStore({ ...ROOMY, maxAgeMs: 1000 }, time.now);
    store.add([storedSpan({ traceId: traceIdOf(1), spanId: spanIdOf(1) })]);
    time.advance(600);
    store.add([storedSpan({ traceId: traceIdOf(2), spanId: spanIdOf(2) })]);
    time.advance(500);
    expect(store.list(ALL).traces.map((t) => t.traceId)).toEqual([traceIdOf(2)]);
    expect(store.evictions()).toMatchObject({ spansEvictedForAge: 1, tracesEvicted: 1 });
    time.advance(600);
    expect(store.get(traceIdOf(2))).toBeUndefined();
    expect(store.spansHeld).toBe(0);
  });

  it('bounds the memory spans hold: drops the oldest traces past maxBytes, refuses a trace that alone exceeds it', () => {
    const big = (trace: number, span: number) =>
      storedSpan({
        traceId: traceIdOf(trace),
        spanId: spanIdOf(span),
        attributes: [{ key: 'payload', value: 'x'.repeat(1000) }],
      });
    const one = approximateSpanBytes(big(1, 1));
    expect(one).toBeGreaterThan(2000);
    const store = new TraceStore({ ...ROOMY, maxBytes: one * 2 + 10 });
    store.add([big(1, 1)]);
    store.add([big(2, 2)]);
    store.add([big(3, 3)]);
    expect(store.get(traceIdOf(1))).toBeUndefined();
    expect(store.bytesHeld).toBe(one * 2);
    expect(store.add([big(3, 4), big(3, 5)])).toEqual({ accepted: 1, rejected: 1 });
    expect(store.get(traceIdOf(3))).toHaveLength(2);
    expect(store.tracesHeld).toBe(1);
    expect(store.bytesHeld).toBe(one * 2);
    // A span too big for the whole store leaves no empty trace behind.
    expect(new TraceStore({ ...ROOMY, maxBytes: 100 }).add([big(9, 9)])).toEqual({
      accepted: 0,
      rejected: 1,
    });
  });

  it('refuses bounds below 1', () => {
    expect(() => new TraceStore({ ...ROOMY, maxSpans: 0 })).toThrow(/maxSpans/);
  });

  it('property: within bounds, and holds exactly the most recently touched traces that fit', () => {
    // A reference model: traces in order of last touch; evict from the front while over.
    const batch = fc.array(
      fc.record({ trace: fc.integer({ min: 1, max: 12 }), span: fc.integer({ min: 1, max: 40 }) }),
      { minLength: 1, maxLength: 8 },
    );
    fc.assert(
      fc.property(
        fc.array(batch, { maxLength: 20 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 8 }),
        (batches, maxSpans, maxTraces) => {
          const store = new TraceStore({ maxSpans, maxTraces, maxBytes: 1e9, maxAgeMs: 1e9 });
          const model = new Map<number, Set<number>>();
          for (const b of batches) {
            store.add(
              b.map(({ trace, span }) => storedSpan({ traceId: traceIdOf(trace), spanId: spanIdOf(span) })),
            );
            for (const { trace, span } of b) {
              const spans = model.get(trace) ?? new Set<number>();
              model.delete(trace);
              model.set(trace, spans);
              if (spans.size < maxSpans || spans.has(span)) spans.add(span);
            }
            const size = () => [...model.values()].reduce((n, s) => n + s.size, 0);
            while (size() > maxSpans || model.size > maxTraces) model.delete(model.keys().next().value!);
            expect(store.spansHeld).toBeLessThanOrEqual(maxSpans);
            expect(store.tracesHeld).toBeLessThanOrEqual(maxTraces);
          }
          for (const [trace, spans] of model) {
            expect(new Set(store.get(traceIdOf(trace))?.map((s) => s.spanId))).toEqual(
              new Set([...spans].map(spanIdOf)),
            );
          }
          expect(store.tracesHeld).toBe(model.size);
        },
      ),
    );
  });
});
