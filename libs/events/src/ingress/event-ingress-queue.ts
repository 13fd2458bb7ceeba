/**
 * The bounded queue between the event transports (POST /events, the in-process bus) and
 * the live scorer of a service that consumes the event stream (drift, outlier). `offer` takes a batch whole or not at all, so a transport answers 2xx
 * only for events that are queued and 429 for a batch that does not fit, and the sender
 * retries it. Events already seen (same event id, within the last `deduplicationWindow`
 * ids) are dropped: a broker's redelivery is harmless. The consumer runs off the caller's
 * stack, one batch at a time, so scoring never blocks an HTTP answer.
 */
import type { InferenceEvent } from '../inference-event.js';

/** Why `offer` refused a batch. */
export type OfferRefusal = 'full' | 'stopped';

/** The outcome of one `offer`. */
export type OfferResult =
  | { readonly accepted: true; readonly queued: number; readonly duplicates: number }
  | { readonly accepted: false; readonly reason: OfferRefusal };

/** Options of {@link EventIngressQueue}. */
export interface EventIngressQueueOptions {
  /** Most events waiting (--event-queue-capacity). */
  readonly capacity: number;
  /** Event ids remembered to drop redeliveries (--deduplication-window). */
  readonly deduplicationWindow: number;
  /** Scores a batch; a throw is reported by `onConsumerError` and the batch is gone. */
  readonly consume: (events: readonly InferenceEvent[]) => void | Promise<void>;
  readonly onConsumerError: (error: unknown) => void;
  /** The clock of {@link EventIngressQueue.oldestWaitMs}; default Date.now. */
  readonly now?: () => number;
}

/** Most events handed to the consumer at once, so a long queue does not hold the loop. */
export const INGRESS_CONSUME_BATCH = 512;

/** A bounded, deduplicating FIFO of InferenceEvents with one consumer. */
export class EventIngressQueue {
  private readonly queue: InferenceEvent[] = [];
  /** When each queued event was accepted, in step with `queue`. */
  private readonly acceptedMs: number[] = [];
  private head = 0;
  /** When the oldest event of the batch being consumed was accepted; undefined between batches. */
  private consumingSinceMs: number | undefined;
  private readonly now: () => number;
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private seenHead = 0;
  private draining: Promise<void> | undefined;
  /** Refusing until opened (the service is not started) and after stop. */
  private stopped = true;

  constructor(private readonly options: EventIngressQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Events waiting. */
  get depth(): number {
    return this.queue.length - this.head;
  }

  /**
   * How long the oldest event not yet consumed has waited, in ms: the oldest of the batch
   * being consumed, else the oldest queued; 0 when none waits. How far scoring lags behind
   * the stream, whatever the event rate (the depth alone means little without the rate).
   */
  oldestWaitMs(): number {
    const since = this.consumingSinceMs ?? (this.depth > 0 ? this.acceptedMs[this.head] : undefined);
    return since === undefined ? 0 : Math.max(0, this.now() - since);
  }

  /** Queues `events` whole (after dropping duplicates), or refuses them whole. */
  offer(events: readonly InferenceEvent[]): OfferResult {
    if (this.stopped) return { accepted: false, reason: 'stopped' };
    const fresh: InferenceEvent[] = [];
    const batchIds = new Set<string>();
    for (const event of events) {
      if (this.seen.has(event.eventId) || batchIds.has(event.eventId)) continue;
      batchIds.add(event.eventId);
      fresh.push(event);
    }
    if (this.depth + fresh.length > this.options.capacity) return { accepted: false, reason: 'full' };
    const acceptedMs = this.now();
    for (const event of fresh) {
      this.remember(event.eventId);
      this.queue.push(event);
      this.acceptedMs.push(acceptedMs);
    }
    if (fresh.length > 0) this.schedule();
    return { accepted: true, queued: fresh.length, duplicates: events.length - fresh.length };
  }

  /** Starts taking offers (once the service can score them). */
  open(): void {
    this.stopped = false;
  }

  /** Refuses further offers and resolves once every queued event was consumed. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.draining) await this.draining;
  }

  /** Resolves once the queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private remember(id: string): void {
    this.seen.add(id);
    this.seenOrder.push(id);
    if (this.seen.size > this.options.deduplicationWindow) {
      this.seen.delete(this.seenOrder[this.seenHead++]!);
      if (this.seenHead > 4096 && this.seenHead * 2 > this.seenOrder.length) {
        this.seenOrder.splice(0, this.seenHead);
        this.seenHead = 0;
      }
    }
  }

  private schedule(): void {
    if (this.draining) return;
    this.draining = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.drain())
      .finally(() => {
        this.draining = undefined;
        if (this.depth > 0) this.schedule();
      });
  }

  private async drain(): Promise<void> {
    while (this.depth > 0) {
      const end = Math.min(this.queue.length, this.head + INGRESS_CONSUME_BATCH);
      const batch = this.queue.slice(this.head, end);
      this.consumingSinceMs = this.acceptedMs[this.head];
      this.head = end;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.acceptedMs.length = 0;
        this.head = 0;
      }
      try {
        await this.options.consume(batch);
      } catch (error) {
        this.options.onConsumerError(error);
      } finally {
        this.consumingSinceMs = undefined;
      }
      // Yield between batches so HTTP answers and gRPC calls are not held behind a long queue.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}
