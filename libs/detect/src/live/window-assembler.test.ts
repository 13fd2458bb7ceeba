import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClosedWindow,
  resolveWindowPolicy,
  WindowAssembler,
  type WindowCheckpoint,
} from './window-assembler.js';

/** A chunk of `rows` one-column rows whose values are their positions in the stream. */
function chunk(first: number, rows: number, timeMs: number) {
  return {
    values: Float64Array.from({ length: rows }, (_, i) => first + i),
    rows,
    timeMs,
    requestId: `r${first}`,
  };
}

describe('WindowAssembler', () => {
  it('tumbling: closes on rows or on time, whichever first', () => {
    const a = new WindowAssembler(resolveWindowPolicy({ maxRows: 3, maxDurationMs: 100, minRows: 1 }), 1);
    expect(a.add(chunk(0, 1, 0))).toEqual([]);
    expect(a.add(chunk(1, 2, 10)).map((w) => [w.reason, w.rows, w.startMs, w.endMs])).toEqual([
      ['rows', 3, 0, 10],
    ]);
    a.add(chunk(3, 1, 20));
    expect(a.poll(119)).toEqual([]);
    expect(a.poll(120).map((w) => [w.reason, [...w.values]])).toEqual([['time', [3]]]);
  });

  it('carries a window with too few rows into the next one', () => {
    const a = new WindowAssembler(resolveWindowPolicy({ maxRows: 10, maxDurationMs: 100, minRows: 3 }), 1);
    a.add(chunk(0, 2, 0));
    expect(a.poll(100)).toEqual([]);
    a.add(chunk(2, 1, 150));
    expect(a.poll(199)).toEqual([]);
    const [w] = a.poll(200);
    expect(w).toMatchObject({ reason: 'time', rows: 3, carriedRows: 2, startMs: 0, endMs: 200 });
  });

  it('sliding: the last rows every hop', () => {
    const a = new WindowAssembler(
      resolveWindowPolicy({ mode: 'sliding', maxRows: 4, maxDurationMs: 1000, hopRows: 2, minRows: 1 }),
      1,
    );
    const out: number[][] = [];
    for (let i = 0; i < 8; i++) for (const w of a.add(chunk(i, 1, i))) out.push([...w.values]);
    expect(out).toEqual([
      [0, 1, 2, 3],
      [2, 3, 4, 5],
      [4, 5, 6, 7],
    ]);
  });

  it('sliding: closes on count only full windows', () => {
    const a = new WindowAssembler(
      resolveWindowPolicy({ mode: 'sliding', maxRows: 100, hopRows: 25, minRows: 30, maxDurationMs: 60_000 }),
      1,
    );
    const closedAt: number[] = [];
    for (let i = 0; i < 200; i++) {
      for (const w of a.add(chunk(i, 1, i))) {
        expect(w.rows).toBe(100);
        closedAt.push(i + 1);
      }
    }
    expect(closedAt).toEqual([100, 125, 150, 175, 200]);
  });

  it('refuses a bad policy naming the field', () => {
    expect(() => resolveWindowPolicy({ maxRows: 0 })).toThrow(
      'window.maxRows must be an integer in [1, 1000000], got 0',
    );
    expect(() => resolveWindowPolicy({ maxRows: 5, minRows: 6 })).toThrow(
      'window.minRows must be an integer in [1, 5], got 6',
    );
  });
});

type Op = { kind: 'add'; rows: number; dt: number } | { kind: 'poll'; dt: number };

const ops = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constant('add' as const),
      rows: fc.integer({ min: 1, max: 4 }),
      dt: fc.integer({ min: 0, max: 40 }),
    }),
    fc.record({ kind: fc.constant('poll' as const), dt: fc.integer({ min: 0, max: 80 }) }),
  ),
  { maxLength: 80 },
);

const policies = fc.record({
  mode: fc.constantFrom('tumbling' as const, 'sliding' as const),
  maxRows: fc.integer({ min: 1, max: 12 }),
  maxDurationMs: fc.integer({ min: 1, max: 150 }),
  minRowsShare: fc.double({ min: 0, max: 1, noNaN: true }),
  hopShare: fc.double({ min: 0, max: 1, noNaN: true }),
});

function run(a: WindowAssembler, list: readonly Op[], start: { next: number; time: number }) {
  const closed: ClosedWindow[] = [];
  const times: number[] = [];
  for (const op of list) {
    start.time += op.dt;
    if (op.kind === 'add') {
      closed.push(...a.add(chunk(start.next, op.rows, start.time)));
      for (let i = 0; i < op.rows; i++) times.push(start.time);
      start.next += op.rows;
    } else closed.push(...a.poll(start.time));
  }
  return { closed, times };
}

describe('WindowAssembler (properties)', () => {
  it('tumbling windows partition the stream in order; each closes on rows or time as the policy says', () => {
    fc.assert(
      fc.property(policies, ops, (p, list) => {
        const policy = resolveWindowPolicy({
          mode: 'tumbling',
          maxRows: p.maxRows,
          maxDurationMs: p.maxDurationMs,
          minRows: Math.max(1, Math.round(p.minRowsShare * p.maxRows)),
        });
        const a = new WindowAssembler(policy, 1);
        const cursor = { next: 0, time: 0 };
        const { closed } = run(a, list, cursor);
        const seen = closed.flatMap((w) => [...w.values]);
        expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i));
        expect(seen.length + a.openRows).toBe(cursor.next);
        for (const w of closed) {
          expect(w.rows).toBeGreaterThanOrEqual(policy.minRows);
          expect(w.rows).toBeLessThan(policy.maxRows + 4);
          if (w.reason === 'time') expect(w.endMs - w.startMs).toBeGreaterThanOrEqual(policy.maxDurationMs);
          if (w.reason === 'rows') expect(w.rows).toBeGreaterThanOrEqual(policy.maxRows);
        }
      }),
    );
  });

  it('sliding windows are recent, in order, within their bounds', () => {
    fc.assert(
      fc.property(policies, ops, (p, list) => {
        const policy = resolveWindowPolicy({
          mode: 'sliding',
          maxRows: p.maxRows,
          maxDurationMs: p.maxDurationMs,
          minRows: Math.max(1, Math.round(p.minRowsShare * p.maxRows)),
          hopRows: Math.max(1, Math.round(p.hopShare * p.maxRows)),
        });
        const a = new WindowAssembler(policy, 1);
        const { closed, times } = run(a, list, { next: 0, time: 0 });
        for (const w of closed) {
          const v = [...w.values];
          expect(v).toEqual(Array.from({ length: v.length }, (_, i) => v[0]! + i));
          expect(w.rows).toBeGreaterThanOrEqual(policy.minRows);
          expect(w.rows).toBeLessThan(policy.maxRows + 4);
          for (const row of v) expect(w.endMs - times[row]!).toBeLessThan(policy.maxDurationMs);
          // On count only a full window closes; time and flush may close a shorter one.
          if (w.reason === 'hop') expect(w.rows).toBeGreaterThanOrEqual(policy.maxRows);
        }
      }),
    );
  });

  it('a checkpoint restored (through JSON) continues exactly as the original', () => {
    fc.assert(
      fc.property(policies, ops, ops, (p, before, after) => {
        const policy = resolveWindowPolicy({
          mode: p.mode,
          maxRows: p.maxRows,
          maxDurationMs: p.maxDurationMs,
          minRows: Math.max(1, Math.round(p.minRowsShare * p.maxRows)),
        });
        const original = new WindowAssembler(policy, 1);
        const cursor = { next: 0, time: 0 };
        run(original, before, cursor);
        const restored = WindowAssembler.restore(
          JSON.parse(JSON.stringify(original.checkpoint())) as WindowCheckpoint,
        );
        const a = run(original, after, { ...cursor });
        const b = run(restored, after, { ...cursor });
        expect(b.closed).toEqual(a.closed);
      }),
    );
  });
});
