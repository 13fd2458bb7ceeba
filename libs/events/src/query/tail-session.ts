import { ResourceExhaustedError } from '@sightline/errors';
import type { InferenceEvent } from '../inference-event.js';
import { type EventFilter, matchesEventFilter } from './event-query.js';

/**
 * One following tail's mailbox: the feed pushes the matching events it is told of, the tail
 * takes them in order. At most `capacity` events wait; one more ends the tail with
 * RESOURCE_EXHAUSTED, since its caller reads slower than events are stored and a larger
 * buffer would only delay the same end while holding more memory.
 */
export class TailSession {
  /** Waiting events from `pendingHead` on (an index, so taking one is O(1) at any capacity). */
  private pending: InferenceEvent[] = [];
  private pendingHead = 0;
  private endReason: Error | undefined;
  private wake: (() => void) | undefined;
  /** Ids already sent from the store: the feed may tell of them again (subscribed before the read). */
  private sentFromStore: ReadonlySet<string> = new Set();

  constructor(
    private readonly filter: EventFilter,
    private readonly capacity: number,
    private readonly capacitySetting: string,
  ) {}

  /** Takes note of newly stored events (the feed's listener): never throws, never waits. */
  push(events: readonly InferenceEvent[]): void {
    if (this.endReason) return;
    for (const event of events) {
      if (!matchesEventFilter(event, this.filter)) continue;
      if (this.pending.length - this.pendingHead >= this.capacity) {
        this.end(
          new ResourceExhaustedError(
            `TailEvents: more than ${this.capacity} events${this.capacitySetting} waited to be sent to this caller, which reads slower than events are stored; tail again`,
          ),
        );
        return;
      }
      this.pending.push(event);
    }
    this.wakeUp();
  }

  /** The events sent from the store, so their news from the feed is not sent again. */
  sentStored(events: readonly InferenceEvent[]): void {
    this.sentFromStore = new Set(events.map((e) => e.eventId));
  }

  /** Ends the tail: the next `take` rejects with `reason` (the first reason wins). */
  end(reason: Error): void {
    this.endReason ??= reason;
    this.wakeUp();
  }

  /**
   * The oldest waiting event; waits for one. Rejects once the tail is ended. One at a time,
   * so the events behind the one being sent stay in `pending`, where the capacity counts
   * them: taking them all would let a stalled caller hold up to twice the capacity.
   */
  async take(): Promise<InferenceEvent> {
    for (;;) {
      if (this.endReason) throw this.endReason;
      if (this.pendingHead < this.pending.length) {
        const next = this.pending[this.pendingHead++]!;
        // Drops the taken events now and then (amortized O(1)): the array holds < 2 × capacity.
        if (this.pendingHead === this.pending.length || this.pendingHead >= this.capacity) {
          this.pending = this.pending.slice(this.pendingHead);
          this.pendingHead = 0;
        }
        if (!this.sentFromStore.has(next.eventId)) return next;
        continue;
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
