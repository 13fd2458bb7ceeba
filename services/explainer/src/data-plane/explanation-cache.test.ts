import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, ExplanationCache, sha256Hex } from './explanation-cache.js';

describe('ExplanationCache', () => {
  it('keeps the most recently used entries up to its bound', () => {
    const cache = new ExplanationCache<number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('holds nothing with a bound of 0', () => {
    const cache = new ExplanationCache<number>(0);
    cache.set('a', 1);
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('canonicalJson', () => {
  it('is the same whatever order fields were set in, and tells bigints, bytes and typed arrays apart', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.integer(), fc.string(), fc.bigInt())), (record) => {
        const reversed = Object.fromEntries(Object.entries(record).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(record));
      }),
    );
    expect(canonicalJson({ a: 1n })).not.toBe(canonicalJson({ a: 1 }));
    expect(canonicalJson({ a: new Float64Array([1]) })).not.toBe(canonicalJson({ a: new Float64Array([2]) }));
  });
});

describe('sha256Hex', () => {
  it('counts where one part ends and the next begins', () => {
    expect(sha256Hex(['ab', 'c'])).not.toBe(sha256Hex(['a', 'bc']));
    expect(sha256Hex(['abc'])).toMatch(/^[0-9a-f]{64}$/);
  });
});
