import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from './backoff.js';
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

describe('backoffDelayMs', () => {
  it('doubles per attempt up to the cap, with jitter in the upper half', () => {
    expect(backoffDelayMs(0, 100, 1000, () => 0)).toBe(50);
    expect(backoffDelayMs(0, 100, 1000, () => 1)).toBe(100);
    expect(backoffDelayMs(3, 100, 1000, () => 1)).toBe(800);
    expect(backoffDelayMs(20, 100, 1000, () => 1)).toBe(1000);
    expect(backoffDelayMs(1000, 100, 1000, () => 0.5)).toBe(750);
  });
});
