/** The router's stored events (`sightline.events.v1.EventService`): queries and tails. */
import { eventsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { CallOptions } from '../core/call-options.js';
import type { Caller } from '../core/caller.js';

const service = eventsV1.EventServiceService;

/**
 * One stored prediction as the router logged it: ids, time, graph, node path, model and
 * version, inputs and outputs (typed contents; FP16/BF16 tensors come without contents),
 * parameters, timings in ms, status code and message, trace context.
 */
export type StoredEvent = eventsV1.InferenceEvent;

/** A point in time: a Date, or milliseconds since the Unix epoch. */
export type TimeInput = Date | number;

/** Which stored events to read (QueryEvents); every filter is optional and exact. */
export interface EventQueryOptions extends CallOptions {
  /** First instant included. Unset: from the oldest stored event. */
  readonly from?: TimeInput;
  /** First instant excluded (half-open ranges). Unset: no upper bound. */
  readonly to?: TimeInput;
  /** Only this model's events. */
  readonly modelName?: string;
  /** Only this graph's events. */
  readonly graph?: string;
  /** Only this request's events (a shadow's answer is a second event of the same id). */
  readonly requestId?: string;
  /** Only answers with this gRPC status code name, e.g. `OK` or `UNAVAILABLE`. */
  readonly statusCode?: string;
  /** Most events answered; unset: the router's default (100); at most its maximum (1,000 by default). */
  readonly limit?: number;
  /** `oldest-first` (the default): the first `limit` of the range; `newest-first`: the last `limit`, newest first. */
  readonly order?: 'oldest-first' | 'newest-first';
}

/** What to tail (TailEvents). */
export interface EventTailOptions extends CallOptions {
  /** How many of the newest stored events come first; unset: the router's default (10). */
  readonly last?: number;
  /** After them, keep sending each matching event as it is stored, until the iteration ends or `signal` aborts. */
  readonly follow?: boolean;
  /** Only this graph's events. */
  readonly graph?: string;
  /** Only this model's events. */
  readonly modelName?: string;
}

/** One item of a tail: a stored event, or the marker after which every event is new. */
export type EventTailItem = EventTailEvent | EventTailCaughtUp;

/** A tail's event: one of the newest stored ones, or (following) one just stored. */
export interface EventTailEvent {
  /** Always `event`. */
  readonly kind: 'event';
  /** The event. */
  readonly event: StoredEvent;
}

/** Sent once when following, after the stored events: every event after it is new. */
export interface EventTailCaughtUp {
  /** Always `caught-up`. */
  readonly kind: 'caught-up';
  /** How many stored events came before it. */
  readonly storedEvents: number;
}

const ORDERS = {
  'oldest-first': eventsV1.EventOrder.EVENT_ORDER_OLDEST_FIRST,
  'newest-first': eventsV1.EventOrder.EVENT_ORDER_NEWEST_FIRST,
} as const;

/**
 * The option's Date. An invalid one (NaN, past Date's range) would fail in the request's
 * encoding as INTERNAL "serialization failure"; it is the caller's mistake, so it is refused.
 */
function dateOf(time: TimeInput | undefined, field: string): Date | undefined {
  if (time === undefined) return undefined;
  const date = time instanceof Date ? time : new Date(time);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      `${field}: must be a valid time (a Date or ms since the epoch), got ${String(time)}`,
      {
        field,
      },
    );
  }
  return date;
}

/** The largest value of the request's uint32 count fields. */
const MAX_COUNT = 4_294_967_295;

/** A count option as the request's uint32 carries it (0: the router's default); else refused naming the field. */
function countOf(value: number | undefined, field: string): number {
  if (value === undefined) return 0;
  if (!Number.isInteger(value) || value < 0 || value > MAX_COUNT) {
    throw new InvalidArgumentError(`${field}: must be a whole number from 0 to ${MAX_COUNT}, got ${value}`, {
      field,
    });
  }
  return value;
}

function orderOf(order: EventQueryOptions['order']): eventsV1.EventOrder {
  const value =
    order === undefined ? ORDERS['oldest-first'] : Object.hasOwn(ORDERS, order) ? ORDERS[order] : undefined;
  if (value === undefined) {
    throw new InvalidArgumentError(
      `order: must be "oldest-first" or "newest-first", got ${JSON.stringify(order)}`,
      {
        field: 'order',
      },
    );
  }
  return value;
}

/** EventService calls on one address (the router). */
export class EventsClient {
  /**
   * @param caller - the shared call path.
   * @param address - the router's gRPC target.
   */
  constructor(
    private readonly caller: Caller,
    readonly address: string,
  ) {}

  /**
   * The stored events matching `query`, sorted by time then event id (QueryEvents). The
   * answer is at most `limit` events, so it is collected; the call has the client's
   * default deadline unless `deadlineMs` says otherwise.
   *
   * @throws InvalidArgumentError naming the field and the rule (e.g. `to` before `from`,
   *   a limit over the router's maximum); ResourceExhaustedError past a router bound;
   *   FailedPreconditionError when the router stores no events.
   */
  async query(query: EventQueryOptions = {}): Promise<StoredEvent[]> {
    const from = dateOf(query.from, 'from');
    const to = dateOf(query.to, 'to');
    const request = eventsV1.QueryEventsRequest.fromPartial({
      ...(from && { fromTime: from }),
      ...(to && { toTime: to }),
      modelName: query.modelName ?? '',
      graph: query.graph ?? '',
      requestId: query.requestId ?? '',
      statusCode: query.statusCode ?? '',
      limit: countOf(query.limit, 'limit'),
      order: orderOf(query.order),
    });
    const events: StoredEvent[] = [];
    const options = { ...query, deadlineMs: query.deadlineMs ?? this.caller.options.deadlineMs };
    for await (const message of this.caller.serverStream(
      this.address,
      service.queryEvents,
      request,
      options,
    )) {
      if (message.event) events.push(message.event);
    }
    return events;
  }

  /**
   * The newest stored events, oldest of them first; with `follow`, then a `caught-up`
   * item and each matching event as it is stored, for as long as the iteration goes on
   * (ending it, or aborting `signal`, cancels the call). A tail has no deadline unless
   * `deadlineMs` sets one.
   *
   * @throws (from the iteration) InvalidArgumentError for a bad request;
   *   ResourceExhaustedError when the router has too many tails open or this one fell
   *   behind; UnavailableError when the router shuts down (tail again).
   */
  async *tail(options: EventTailOptions = {}): AsyncGenerator<EventTailItem, void, undefined> {
    const request = eventsV1.TailEventsRequest.fromPartial({
      last: countOf(options.last, 'last'),
      follow: options.follow ?? false,
      graph: options.graph ?? '',
      modelName: options.modelName ?? '',
    });
    for await (const message of this.caller.serverStream(
      this.address,
      service.tailEvents,
      request,
      options,
    )) {
      if (message.event) yield { kind: 'event', event: message.event };
      else if (message.caughtUp) yield { kind: 'caught-up', storedEvents: message.caughtUp.storedEvents };
    }
  }
}
