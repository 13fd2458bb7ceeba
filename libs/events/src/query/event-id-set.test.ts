import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventIdSet } from './event-id-set.js';

describe('EventIdSet', () => {
  it('answers as a Set<string> on any sequence of ids, Latin-1 or not, through its growth', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.string({ maxLength: 12 }),
            fc.integer({ min: 0, max: 300 }).map((i) => `e-${i}`),
            fc.string({ unit: 'grapheme', maxLength: 4 }),
          ),
          { maxLength: 400 },
        ),
        (ids) => {
          const set = new EventIdSet();
          const reference = new Set<string>();
          for (const id of ids) {
            expect(set.add(id)).toBe(!reference.has(id));
            reference.add(id);
          }
          expect(set.size).toBe(reference.size);
        },
      ),
    );
  });

  it('holds 200,000 ids exactly (tables and arena doubled many times), the empty id once', () => {
    const set = new EventIdSet();
    for (let i = 0; i < 200_000; i++) expect(set.add(`hist-${i.toString(16).padStart(8, '0')}`)).toBe(true);
    for (let i = 0; i < 200_000; i += 997)
      expect(set.add(`hist-${i.toString(16).padStart(8, '0')}`)).toBe(false);
    // Prefixes and extensions of stored ids are other ids.
    expect(set.add('hist-0000000')).toBe(true);
    expect(set.add('hist-000000000')).toBe(true);
    expect(set.add('')).toBe(true);
    expect(set.add('')).toBe(false);
    expect(set.size).toBe(200_003);
  });
});
