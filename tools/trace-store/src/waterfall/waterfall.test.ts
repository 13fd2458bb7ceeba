import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration, MIN_WIDTH, renderWaterfall, type WaterfallSpan } from './waterfall.js';

const MS = 1_000_000n;

function span(
  spanId: string,
  parentSpanId: string,
  name: string,
  startMs: number,
  durationMs: number,
  extra: Partial<WaterfallSpan> = {},
): WaterfallSpan {
  return {
    spanId,
    parentSpanId,
    name,
    serviceName: name.startsWith('model') ? 'sightline-model-server' : 'sightline-router',
    startTimeUnixNano: 1_700_000_000_000n * MS + BigInt(startMs) * MS,
    durationNanos: BigInt(durationMs) * MS,
    status: 'unset',
    ...extra,
  };
}

const ROUTED = [
  span('b', 'a', 'graph.node first', 1, 4),
  span('a', '', 'ModelInfer', 0, 10),
  span('c', 'b', 'model ModelInfer', 2, 2),
  span('d', 'a', 'graph.node second', 5, 5, {
    status: 'error',
    statusMessage: 'model "x": UNAVAILABLE\nretry',
  }),
];

const columns = (line: string) => [...line].length;

describe('renderWaterfall', () => {
  it('draws each span under its parent, siblings by start, with offset, duration, status and a scaled bar', () => {
    const lines = renderWaterfall(ROUTED, { width: 100 });
    expect(lines[0]).toBe('4 spans · 10.00 ms · 2 services · 1 error');
    expect(lines.slice(2).map((l) => l.trimStart().split(/ {2,}| (?=sightline-)/)[0])).toEqual([
      'ModelInfer',
      'graph.node first',
      'model ModelInfer',
      'graph.node second',
      '✗ model "x": UNAVAILABLE retry',
    ]);
    const [root, first, model, second] = [lines[2]!, lines[3]!, lines[4]!, lines[5]!];
    expect(first.startsWith('  graph.node first')).toBe(true);
    expect(model.startsWith('    model ModelInfer')).toBe(true);
    expect(root).toContain('0 ns');
    expect(root).toContain('10.00 ms');
    expect(second).toContain('5.00 ms');
    expect(second).toContain('ERROR');
    // The root fills the axis; the second child starts half-way along it.
    const bar = (line: string) => line.slice(line.search(/[·█▓]/));
    expect(bar(root)).toMatch(/^█+$/);
    expect(bar(second)).toMatch(/^·+▓+$/);
    const axis = bar(root).length;
    expect(bar(second).indexOf('▓')).toBe(Math.floor(axis / 2));
    for (const line of lines) expect(columns(line)).toBeLessThanOrEqual(100);
  });

  it('starts an own tree, marked ^, for a span whose parent is not held', () => {
    const lines = renderWaterfall([span('a', '', 'root', 0, 5), span('z', 'gone', 'orphan', 1, 1)], {
      width: 80,
    });
    expect(lines.at(-1)).toMatch(/^\^ orphan/);
  });

  it('says so for no spans, and draws a single instant span across the axis', () => {
    expect(renderWaterfall([], { width: 80 })).toEqual(['(no spans)']);
    const lines = renderWaterfall([span('a', '', 'instant', 0, 0)], { width: 80 });
    expect(lines[0]).toBe('1 span · 0 ns · 1 service');
    expect(lines[2]).toMatch(/█+$/);
  });

  it('property: every span drawn once, no line wider than the width, parents above children', () => {
    const spans = fc
      .uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 30 })
      .chain((ids) =>
        fc.tuple(
          ...ids.map((id) =>
            fc.record({
              spanId: fc.constant<string>(`s${id}`),
              parentSpanId: fc.oneof(
                fc.constant(''),
                fc.constantFrom(...ids).map((p) => `s${p}`),
                fc.constant('missing'),
              ),
              name: fc.string({ maxLength: 80 }),
              serviceName: fc.string({ maxLength: 30 }),
              startTimeUnixNano: fc.bigInt({ min: 0n, max: 10n ** 12n }),
              durationNanos: fc.bigInt({ min: -5n, max: 10n ** 12n }),
              status: fc.constantFrom('unset' as const, 'ok' as const, 'error' as const),
              statusMessage: fc.string({ maxLength: 200 }),
            }),
          ),
        ),
      );
    fc.assert(
      fc.property(spans, fc.integer({ min: 0, max: 300 }), (list, width) => {
        const names = list.map((s) => ({ ...s, name: `<${s.spanId}>` }));
        for (const line of renderWaterfall(list, { width })) {
          expect(columns(line)).toBeLessThanOrEqual(Math.max(width, MIN_WIDTH));
        }
        // Wide enough that no short name is cut, to find each span's line.
        const lines = renderWaterfall(names, { width: 400 });
        const order = list.map((s) => s.spanId);
        const positions = new Map(order.map((id) => [id, lines.findIndex((l) => l.includes(`<${id}>`))]));
        for (const s of list) {
          expect(positions.get(s.spanId)).toBeGreaterThan(1);
          const parent = positions.get(s.parentSpanId);
          // A parent above its child, unless the pair sits on a cycle broken somewhere.
          if (parent !== undefined && parent > positions.get(s.spanId)!) {
            expect(lines[positions.get(s.spanId)!]).toMatch(/\^ /);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('formats durations with a unit that fits their size', () => {
    expect([850n, 12_345n, 4_560_000n, 1_234_000_000n, -3n].map(formatDuration)).toEqual([
      '850 ns',
      '12.3 µs',
      '4.56 ms',
      '1.23 s',
      '0 ns',
    ]);
  });
});
