import { describe, expect, it } from 'vitest';
import type { InferenceEvent } from '../inference-event.js';
import { EventIngressQueue } from './event-ingress-queue.js';

const event = (id: string) => ({ eventId: id }) as InferenceEvent;

describe('EventIngressQueue', () => {
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
