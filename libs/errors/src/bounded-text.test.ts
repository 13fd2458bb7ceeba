import { describe, expect, it } from 'vitest';
import { QUOTED_NAME_MAX_LENGTH, quoteName, truncateText } from './bounded-text.js';

describe('quoteName', () => {
  it('quotes short text whole and cuts long text, saying its length', () => {
    expect(quoteName('iris')).toBe('"iris"');
    expect(quoteName('a"b')).toBe('"a\\"b"');
    expect(quoteName('abcdef', 3)).toBe('"abc"... (6 characters)');
  });

  it('quotes a 1 MB name in under 100 characters', () => {
    const quoted = quoteName('n'.repeat(1_000_000));
    expect(quoted).toBe(`"${'n'.repeat(QUOTED_NAME_MAX_LENGTH)}"... (1000000 characters)`);
    expect(quoted.length).toBeLessThan(100);
  });

  it('never splits a surrogate pair', () => {
    expect(quoteName('ab😀cd', 3)).toBe('"ab"... (6 characters)');
  });
});

describe('truncateText', () => {
  it('keeps text that fits and cuts the rest, saying how much', () => {
    expect(truncateText('short', 10)).toBe('short');
    expect(truncateText('abcdefghij', 4)).toBe('abcd… (6 more characters)');
    expect(truncateText('a😀b', 2)).toBe('a… (3 more characters)');
  });
});
