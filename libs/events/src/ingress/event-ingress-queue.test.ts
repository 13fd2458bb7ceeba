import { describe, expect, it } from 'vitest';
import type { InferenceEvent } from '../inference-event.js';
import { EventIngressQueue } from './event-ingress-queue.js';

const event = (id: string) => ({ eventId: id }) as InferenceEvent;

describe('EventIngressQueue', () => {
  it('reports how long the oldest unconsumed event has waited, queued or in the batch being consumed', async () => {
    let now = 1_000;
    const gates: (() => void)[] = [];
    const queue = new EventIngressQueue({
      capacity: 10_000,
      deduplicationWindow: 10_000,
      consume: () => new Promise<void>((resolve) => gates.push(resolve)),
      onConsumerError: () => {},
      now: () => now,
    });
    queue.open();
    expect(queue.oldestWaitMs()).toBe(0);
    queue.offer([event('a')]);
    now = 1_500;
    expect(queue.oldestWaitMs()).toBe(500);
    // The consumer takes 'a' and hangs on it; 'b' arrives meanwhile: 'a' is still the oldest.
    await new Promise((resolve) => setImmediate(resolve));
    expect(gates).toHaveLength(1);
    now = 2_000;
    queue.offer([event('b')]);
    now = 4_000;
    expect(queue.oldestWaitMs()).toBe(3_000);
    // 'a' done: 'b', queued at 2000, is the oldest.
    gates.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.oldestWaitMs()).toBe(2_000);
    while (gates.length > 0 || queue.depth > 0) {
      gates.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await queue.idle();
    expect(queue.oldestWaitMs()).toBe(0);
  });

  it('refuses until opened, takes batches whole, drops duplicates and refuses what does not fit', async () => {
    const consumed: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const queue = new EventIngressQueue({
      capacity: 3,
      deduplicationWindow: 10,
      consume: async (events) => {
        await gate;
        consumed.push(...events.map((e) => e.eventId));
      },
      onConsumerError: () => {},
    });
    expect(queue.offer([event('a')])).toEqual({ accepted: false, reason: 'stopped' });
    queue.open();
    expect(queue.offer([event('a'), event('b'), event('a')])).toEqual({
      accepted: true,
      queued: 2,
      duplicates: 1,
    });
    expect(queue.offer([event('b')])).toEqual({ accepted: true, queued: 0, duplicates: 1 });
    expect(queue.offer([event('c'), event('d')])).toEqual({ accepted: false, reason: 'full' });
    expect(queue.offer([event('c')])).toEqual({ accepted: true, queued: 1, duplicates: 0 });
    release();
    await queue.idle();
    expect(consumed).toEqual(['a', 'b', 'c']);
    expect(queue.depth).toBe(0);
    // A refused batch was not remembered: its events are taken when retried.
    expect(queue.offer([event('d')])).toEqual({ accepted: true, queued: 1, duplicates: 0 });
    await queue.stop();
    expect(consumed).toEqual(['a', 'b', 'c', 'd']);
    expect(queue.offer([event('e')])).toEqual({ accepted: false, reason: 'stopped' });
  });
});
