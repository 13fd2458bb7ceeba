import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CachedVersionInfo, chooseEvictions } from './lru-eviction.js';

const versionArb = fc.record({
  model: fc.constantFrom('a', 'b', 'c'),
  version: fc.integer({ min: 1, max: 20 }),
  bytes: fc.integer({ min: 0, max: 1000 }),
  lastUsedMs: fc.integer({ min: 0, max: 10_000 }),
  pinned: fc.boolean(),
});

const total = (versions: readonly CachedVersionInfo[]) => versions.reduce((sum, v) => sum + v.bytes, 0);

describe('chooseEvictions', () => {
  it('makes room when it can, never evicts a pinned version, and evicts least recently used first', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(versionArb, { selector: (v) => `${v.model}/${v.version}`, maxLength: 12 }),
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 8000 }),
        (entries, need, max) => {
          const pinned = new Set(entries.filter((e) => e.pinned).map((e) => `${e.model}/${e.version}`));
          const isPinned = (v: CachedVersionInfo) => pinned.has(`${v.model}/${v.version}`);
          const evicted = chooseEvictions(entries, isPinned, need, max);
          const pinnedBytes = total(entries.filter(isPinned));
          if (evicted === undefined) {
            // Refused only when even evicting every unpinned version would not fit.
            expect(pinnedBytes + need).toBeGreaterThan(max);
            return;
          }
          expect(evicted.some(isPinned)).toBe(false);
          expect(total(entries) - total(evicted) + need).toBeLessThanOrEqual(max);
          // Every kept unpinned version was used no earlier than every evicted one.
          const kept = entries.filter((e) => !isPinned(e) && !evicted.includes(e));
          for (const gone of evicted)
            for (const stay of kept) expect(stay.lastUsedMs).toBeGreaterThanOrEqual(gone.lastUsedMs);
          // No eviction beyond what is needed: without the last one it would not fit.
          if (evicted.length > 0) {
            expect(total(entries) - total(evicted.slice(0, -1)) + need).toBeGreaterThan(max);
          }
        },
      ),
    );
  });

  it('evicts nothing when the new version fits', () => {
    const cached = [{ model: 'a', version: 1, bytes: 10, lastUsedMs: 0 }];
    expect(chooseEvictions(cached, () => false, 5, 15)).toEqual([]);
  });
});
