import { describe, expect, it } from 'vitest';
import { RingBuffer } from './ring-buffer.js';

describe('RingBuffer', () => {
  it('is FIFO across wrap-around and refuses pushes when full', () => {
    const ring = new RingBuffer<number>(3);
    expect([ring.push(1), ring.push(2), ring.push(3), ring.push(4)]).toEqual([true, true, true, false]);
    expect(ring.take(2)).toEqual([1, 2]);
    ring.push(5);
    ring.push(6);
    expect(ring.full).toBe(true);
    expect(ring.take(10)).toEqual([3, 5, 6]);
    expect(ring.length).toBe(0);
  });
});
