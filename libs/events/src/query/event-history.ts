import {
  type Cancellation,
  FailedPreconditionError,
  NEVER_CANCELLED,
  ResourceExhaustedError,
  UnavailableError,
} from '@sightline/errors';
import type { InferenceEvent } from '../inference-event.js';
import {
  type EventHistoryLimits,
  type EventHistorySettingNames,
  resolveEventHistoryLimits,
  settingHint,
} from './event-history-limits.js';
import type { EventReader } from './event-reader.js';
import {
  type EventQueryRequest,
  type EventTailRequest,
  resolveEventQuery,
  resolveEventTail,
} from './event-request-rules.js';
import type { StoredEventFeed } from './stored-event-feed.js';
import { TailSession } from './tail-session.js';

/** One item of a tail: an event, or the marker between stored and followed events. */
export type TailItem =
  | { readonly kind: 'event'; readonly event: InferenceEvent }
  | { readonly kind: 'caught-up'; readonly storedEvents: number };

/** Options of {@link EventHistory}. */
export interface EventHistoryOptions {
  /** Where stored events are read. */
  readonly reader: EventReader;
  /** News of events as the store accepts them; without it, tails cannot follow. */
  readonly feed?: StoredEventFeed;
  readonly limits?: Partial<EventHistoryLimits>;
  /** The settings behind the limits, named in refusals. */
  readonly settingNames?: EventHistorySettingNames;
}

/**
 * Event queries and tails over one store, the domain behind EventService: checks requests
 * (INVALID_ARGUMENT naming the field), bounds the work (queries at once, tails open,
 * events waiting per tail) and answers from an {@link EventReader}. A tail reads the newest
 * stored events and, to follow, listens on the {@link StoredEventFeed} of the process that
 * writes the store; it subscribes before it reads, so no event stored in between is
 * missed, and sends none twice.
 */
export class EventHistory {
  readonly limits: EventHistoryLimits;
  private readonly reader: EventReader;
  private readonly feed: StoredEventFeed | undefined;
  private readonly names: EventHistorySettingNames;
  private readonly tails = new Set<TailSession>();
  private runningQueries = 0;
  private closedReason: Error | undefined;

  constructor(options: EventHistoryOptions) {
    this.reader = options.reader;
    this.feed = options.feed;
    this.limits = resolveEventHistoryLimits(options.limits);
    this.names = options.settingNames ?? {};
  }

  /** What is read, e.g. `file store .data/router/events`. */
  get description(): string {
    return this.reader.description;
  }

  /** Tails open now. */
  get openTails(): number {
    return this.tails.size;
  }

  /**
   * The stored events matching `request`, sorted, at most its limit.
   * @throws InvalidArgumentError for a bad request; ResourceExhaustedError past a bound.
   */
  async query(
    request: EventQueryRequest,
    cancellation: Cancellation = NEVER_CANCELLED,
  ): Promise<InferenceEvent[]> {
    const query = resolveEventQuery(request, this.limits, this.names);
    return this.bounded('QueryEvents', () => this.reader.query(query, cancellation));
  }

  /**
   * The newest `last` stored events matching the request, oldest first; then, with
   * `follow`, a caught-up marker and each matching event as it is stored, until the caller
   * cancels (the iteration throws its reason), the tail falls too far behind
   * (RESOURCE_EXHAUSTED) or {@link close} is called (UNAVAILABLE).
   */
  async *tail(
    request: EventTailRequest,
    cancellation: Cancellation = NEVER_CANCELLED,
  ): AsyncGenerator<TailItem> {
    const tail = resolveEventTail(request, this.limits, this.names);
    if (this.closedReason) throw this.closedReason;
    if (tail.follow && !this.feed) {
      throw new FailedPreconditionError(
        `follow: ${this.reader.description} is not written by this process, so new events cannot be followed`,
      );
    }
    if (this.tails.size >= this.limits.maxTails) {
      throw new ResourceExhaustedError(
        `TailEvents: ${this.limits.maxTails} tails are open, the most allowed${settingHint(this.names, 'maxTails')}; try again later`,
      );
    }
    const session = new TailSession(
      tail.filter,
      this.limits.tailBufferEvents,
      settingHint(this.names, 'tailBufferEvents'),
    );
    this.tails.add(session);
    const unsubscribe = tail.follow ? this.feed?.subscribe((events) => session.push(events)) : undefined;
    const stopListening = cancellation.onCancel((reason) => session.end(reason));
    try {
      const stored = await this.bounded('TailEvents', () =>
        this.reader.query({ ...tail.filter, limit: tail.last, order: 'newest-first' }, cancellation),
      );
      stored.reverse();
      for (const event of stored) yield { kind: 'event', event };
      if (!tail.follow) return;
      session.sentStored(stored);
      yield { kind: 'caught-up', storedEvents: stored.length };
      for (;;) yield { kind: 'event', event: await session.take() };
    } finally {
      unsubscribe?.();
      stopListening();
      this.tails.delete(session);
    }
  }

  /** Ends every open tail with UNAVAILABLE and refuses new ones (the process is stopping). */
  close(reason = 'the event history is closing'): void {
    this.closedReason ??= new UnavailableError(`TailEvents: ${reason}; tail again`);
    for (const session of this.tails) session.end(this.closedReason);
  }

  private async bounded<T>(what: string, work: () => Promise<T>): Promise<T> {
    if (this.runningQueries >= this.limits.maxConcurrentQueries) {
      throw new ResourceExhaustedError(
        `${what}: ${this.limits.maxConcurrentQueries} event queries are running, the most allowed${settingHint(this.names, 'maxConcurrentQueries')}; try again shortly`,
      );
    }
    this.runningQueries++;
    try {
      return await work();
    } finally {
      this.runningQueries--;
    }
  }
}
