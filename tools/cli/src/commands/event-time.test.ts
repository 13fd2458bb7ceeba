import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../frame/usage-error.js';
import { parseEventTime } from './event-time.js';

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

describe('parseEventTime', () => {
  it('reads any ISO-8601 time Date writes back to the same millisecond (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(9999, 11, 31) }), (ms) => {
        expect(parseEventTime(new Date(ms).toISOString(), '--from', NOW)).toBe(ms);
      }),
    );
  });

  it('reads a duration ago in every unit (property)', () => {
    const units = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(
        fc.nat(100_000),
        fc.constantFrom(...(Object.keys(units) as (keyof typeof units)[])),
        (n, unit) => {
          expect(parseEventTime(`${n}${unit}`, '--from', NOW)).toBe(NOW - n * units[unit]);
        },
      ),
    );
  });

  it('reads now, dates, offsets and a space for T', () => {
    expect(parseEventTime('now', '--to', NOW)).toBe(NOW);
    expect(parseEventTime('2026-12-03', '--to', NOW)).toBe(Date.UTC(2026, 11, 3));
    expect(parseEventTime('2026-12-03T13:00:00+01:00', '--to', NOW)).toBe(NOW);
    expect(parseEventTime('2026-12-03 12:00:00Z', '--to', NOW)).toBe(NOW);
  });

  it.each(['yesterday', '', '15', '-15m', '2026-13-45T00:00:00Z', '2026-12-03T12:00:00.1234Z'])(
    'refuses %j naming the flag',
    (text) => {
      expect(() => parseEventTime(text, '--from', NOW)).toThrow(UsageError);
      expect(() => parseEventTime(text, '--from', NOW)).toThrow(/^--from: expected an ISO-8601 time/);
    },
  );

  it.each(['99999999999d', '9999999d', '0000-01-01', '+275760-09-13'])(
    'refuses %j, a time outside the years 1-9999 a protobuf Timestamp holds, as a usage error',
    (text) => {
      expect(() => parseEventTime(text, '--from', NOW)).toThrow(UsageError);
    },
  );

  it('keeps the first and last instants a Timestamp holds', () => {
    // -62135596800 s: the Timestamp's documented minimum (Date.UTC reads year 1 as 1901).
    expect(parseEventTime('0001-01-01T00:00:00Z', '--from', NOW)).toBe(-62_135_596_800_000);
    expect(parseEventTime('9999-12-31T23:59:59.999Z', '--to', NOW)).toBe(
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
    );
  });

  it.each(['2026-02-30', '2026-02-29T10:00:00Z', '2026-04-31 12:00', '2025-02-29'])(
    'refuses %j, a day its month lacks, which Date would move into the next month',
    (text) => {
      expect(() => parseEventTime(text, '--from', NOW)).toThrow(/^--from: /);
    },
  );

  it('keeps the last day of each month, leap days included', () => {
    expect(parseEventTime('2024-02-29', '--from', NOW)).toBe(Date.UTC(2024, 1, 29));
    expect(parseEventTime('2026-04-30', '--from', NOW)).toBe(Date.UTC(2026, 3, 30));
    expect(parseEventTime('2026-12-31T23:59:59Z', '--from', NOW)).toBe(Date.UTC(2026, 11, 31, 23, 59, 59));
  });
});
