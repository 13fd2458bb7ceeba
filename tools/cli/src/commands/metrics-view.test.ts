import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { showOptions, timeWindowFromFlags } from './metrics-flags.js';
import { formatInterval, formatNumber, sparkline } from './metrics-view.js';

describe('sparkline', () => {
  it('maps the lowest value to the lowest block and the highest to the highest', () => {
    expect(sparkline([0, 1, 2, 3, 4, 5, 6, 7])).toBe('▁▂▃▄▅▆▇█');
    expect(sparkline([0.9, Number.NaN, 0.5])).toBe('█ ▁');
    expect(sparkline([2, 2])).toBe('▄▄');
    expect(sparkline([])).toBe('');
  });

  it('has one character per value and keeps the order of values', () => {
    const blocks = '▁▂▃▄▅▆▇█';
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), { maxLength: 50 }),
        (values) => {
          const line = sparkline(values);
          expect([...line].length).toBe(values.length);
          for (let i = 0; i < values.length; i++) {
            for (let j = 0; j < values.length; j++) {
              if (values[i]! < values[j]!)
                expect(blocks.indexOf(line[i]!)).toBeLessThanOrEqual(blocks.indexOf(line[j]!));
            }
          }
        },
      ),
    );
  });
});

describe('formatting', () => {
  it('prints 4 significant digits, intervals with their level and method', () => {
    expect(formatNumber(0.912345)).toBe('0.9123');
    expect(formatNumber(Number.NaN)).toBe('-');
    expect(formatNumber(12345678)).toBe('1.235e+7');
    expect(
      formatInterval({ value: 0.9, interval: { low: 0.85, high: 0.94, confidence: 0.95, method: 'wilson' } }),
    ).toBe('[0.85, 0.94] 95% wilson');
    expect(formatInterval({ value: 0.9 })).toBe('');
  });
});

describe('metrics show flags', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');
  it('defaults to the last hour, reads spans, segments and count windows', () => {
    expect(showOptions({}, now)).toEqual({ window: { trailingMs: 3_600_000 } });
    expect(
      showOptions({ window: '7d', step: '1h', segment: 'country=fr', bySegment: 'device' }, now),
    ).toEqual({
      window: { trailingMs: 7 * 86_400_000 },
      stepMs: 3_600_000,
      segment: { name: 'country', value: 'fr' },
      breakdownSegment: 'device',
    });
    expect(showOptions({ countWindows: '3' }, now)).toEqual({ window: { countWindows: 3 } });
    expect(timeWindowFromFlags({ from: '2h' }, now)).toEqual({ from: now - 7_200_000 });
  });

  it('refuses conflicting or malformed flags, naming them', () => {
    expect(() => showOptions({ window: '1h', from: '2h' }, now)).toThrow(/--window and --from/);
    expect(() => showOptions({ window: '0s' }, now)).toThrow(/--window: expected a span/);
    expect(() => showOptions({ window: '1 hour' }, now)).toThrow(/--window/);
    expect(() => showOptions({ countWindows: '2', step: '5m' }, now)).toThrow(/--count-windows: not with/);
    expect(() => showOptions({ segment: 'fr' }, now)).toThrow(/--segment: expected name=value/);
    expect(() => showOptions({ referenceFrom: '2h' }, now)).toThrow(/give both/);
    expect(() => showOptions({ confidence: '95' }, now)).toThrow(/--confidence/);
    expect(() => showOptions({ to: '1h' }, now)).toThrow(/--to: only with --from/);
  });
});
