import { describe, expect, it } from 'vitest';
import { SampleBuffer } from './sample-buffer.js';

describe('SampleBuffer', () => {
  it('grows past its initial size and keeps every sample in order', () => {
    const buffer = new SampleBuffer(100, 2);
    for (let i = 0; i < 50; i++) expect(buffer.push(i)).toBe(true);
    expect(buffer.length).toBe(50);
    expect(Array.from(buffer.view())).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('refuses samples past its capacity', () => {
    const buffer = new SampleBuffer(3, 2);
    expect([buffer.push(1), buffer.push(2), buffer.push(3), buffer.push(4)]).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(Array.from(buffer.view())).toEqual([1, 2, 3]);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new SampleBuffer(0)).toThrow(/capacity: expected a positive integer, got 0/);
  });
});
