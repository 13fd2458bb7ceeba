import { ResourceExhaustedError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sampleEvent } from '../testing/sample-events.js';
import { TailSession } from './tail-session.js';

/** A step of the caller: events stored (some of another graph), or one event taken. */
type Step = { readonly push: readonly ('a' | 'b')[] } | { readonly take: true };

describe('TailSession', () => {
  it('hands out matching events in order and ends on the first one past `capacity` waiting (property)', async () => {
    const stepArb: fc.Arbitrary<Step> = fc.oneof(
      fc.record({ push: fc.array(fc.constantFrom('a' as const, 'b' as const), { maxLength: 4 }) }),
      fc.constant({ take: true as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(stepArb, { maxLength: 40 }),
        async (capacity, steps) => {
          const session = new TailSession({ graph: 'a' }, capacity, ' (set by --event-tail-buffer)');
          // The model: a plain queue of the waiting ids, and whether the tail has ended.
          const waiting: string[] = [];
          let ended = false;
          let n = 0;
          for (const step of steps) {
            if ('push' in step) {
              const events = step.push.map((graph) => sampleEvent(n++, { graph }));
              session.push(events);
              for (const event of events) {
                if (ended || event.graph !== 'a') continue;
                if (waiting.length >= capacity) ended = true;
                else waiting.push(event.eventId);
              }
            } else if (ended) {
              await expect(session.take()).rejects.toThrow(
                new ResourceExhaustedError(
                  `TailEvents: more than ${capacity} events (set by --event-tail-buffer) waited to be sent to this caller, which reads slower than events are stored; tail again`,
                ),
              );
            } else if (waiting.length > 0) {
              // Nothing waiting: take would wait for the next push, so the step is skipped.
              expect((await session.take()).eventId).toBe(waiting.shift());
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('does not send again what was sent from the store', async () => {
    const session = new TailSession({}, 10, '');
    session.sentStored([sampleEvent(1)]);
    session.push([sampleEvent(1), sampleEvent(2)]);
    expect((await session.take()).eventId).toBe(sampleEvent(2).eventId);
  });
});
