import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, crc32ByTable } from './crc32.js';

describe('crc32', () => {
  it('matches the IEEE check value and zlib on known inputs', () => {
    for (const f of [crc32, crc32ByTable]) {
      expect(f(Buffer.from('123456789'))).toBe(0xcbf43926);
      expect(f(Buffer.from(''))).toBe(0);
      expect(f(Buffer.from('The quick brown fox jumps over the lazy dog'))).toBe(0x414fa339);
    }
  });

  it('covers only the given range', () => {
    const bytes = Buffer.from('xx123456789yy');
    expect(crc32(bytes, 2, 11)).toBe(0xcbf43926);
    expect(crc32ByTable(bytes, 2, 11)).toBe(0xcbf43926);
  });

  it('gives the same value natively and by table for any bytes and range', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 2048 })
          .chain((bytes) => fc.tuple(fc.constant(bytes), fc.nat(bytes.length), fc.nat(bytes.length))),
        ([bytes, a, b]) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          const value = crc32(bytes, start, end);
          expect(value).toBe(crc32ByTable(bytes, start, end));
          expect(value).toBeGreaterThanOrEqual(0);
        },
      ),
    );
  });
});
