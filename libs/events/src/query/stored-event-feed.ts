import { type EventSink, SinkWriteError } from '../event-sink.js';
import type { InferenceEvent } from '../inference-event.js';

/**
 * Told of events once a store has accepted them. Called synchronously inside the sink's
 * write, so it must only take note (e.g. push into a bounded buffer) and never throw.
 */
export type StoredEventListener = (events: readonly InferenceEvent[]) => void;

/**
 * News of events as a store accepts them, for tails in the process that writes the store:
 * the writer knows the moment an append or a bulk request succeeded, so following needs no
 * polling of the store (no delay, no reads, no cost while nobody follows). It is fed by a
 * {@link FeedingSink} wrapped around the sink whose store is read.
 */
export class StoredEventFeed {
  private listeners: readonly StoredEventListener[] = [];

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: StoredEventListener): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /** How many listeners there are now. */
  get listenerCount(): number {
    return this.listeners.length;
  }

  /** Tells every listener of `events`, which were just stored. */
  publish(events: readonly InferenceEvent[]): void {
    if (events.length === 0) return;
    for (const listener of this.listeners) listener(events);
  }
}

/**
 * A sink that publishes on a {@link StoredEventFeed} what its inner sink stored: the whole
 * batch when `write` resolves; when it fails with a {@link SinkWriteError}, the events
 * neither retried nor refused (the pipeline retries the others and they are published when
 * stored); nothing when it fails otherwise (the whole batch is retried). The write itself
 * is unchanged, and it runs in the sink's own delivery loop, never on a request's path.
 */
export class FeedingSink implements EventSink {
  readonly name: string;

  constructor(
    private readonly inner: EventSink,
    private readonly feed: StoredEventFeed,
  ) {
    this.name = inner.name;
  }

  async write(events: readonly InferenceEvent[]): Promise<void> {
    try {
      await this.inner.write(events);
    } catch (error) {
      if (error instanceof SinkWriteError && this.feed.listenerCount > 0) {
        const notStored = new Set([...error.retryable, ...error.rejected].map((e) => e.eventId));
        this.feed.publish(events.filter((e) => !notStored.has(e.eventId)));
      }
      throw error;
    }
    this.feed.publish(events);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
