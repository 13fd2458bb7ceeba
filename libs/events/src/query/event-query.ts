import type { InferenceEvent } from '../inference-event.js';

/**
 * Which stored events a reader selects. Every field is optional; an absent one matches
 * every event. Text fields match the whole value exactly.
 */
export interface EventFilter {
  /** First instant included, ms since the epoch (`fromUnixMs <= time`). */
  readonly fromUnixMs?: number;
  /** First instant excluded, ms since the epoch (`time < toUnixMs`): ranges are half-open. */
  readonly toUnixMs?: number;
  readonly modelName?: string;
  readonly graph?: string;
  readonly requestId?: string;
  /** gRPC status code name of the answer, e.g. `OK`. */
  readonly statusCode?: string;
}

/**
 * Oldest first: ascending time, ties by ascending event id. Newest first is the exact
 * reverse, so "the last N" and "the first N" of one range are the two ends of one order.
 */
export type EventOrder = 'oldest-first' | 'newest-first';

/** A resolved query: a filter, how many events at most, and from which end. */
export interface EventQuery extends EventFilter {
  /** Most events answered (>= 1; already checked against the reader's maximum). */
  readonly limit: number;
  readonly order: EventOrder;
}

/** Whether `event` passes every filter set in `filter`. */
export function matchesEventFilter(event: InferenceEvent, filter: EventFilter): boolean {
  return (
    (filter.fromUnixMs === undefined || event.timeUnixMs >= filter.fromUnixMs) &&
    (filter.toUnixMs === undefined || event.timeUnixMs < filter.toUnixMs) &&
    (filter.modelName === undefined || event.modelName === filter.modelName) &&
    (filter.graph === undefined || event.graph === filter.graph) &&
    (filter.requestId === undefined || event.requestId === filter.requestId) &&
    (filter.statusCode === undefined || event.statusCode === filter.statusCode)
  );
}

/** Compares two events oldest first: by time, then by event id (code unit order). */
export function compareOldestFirst(a: InferenceEvent, b: InferenceEvent): number {
  if (a.timeUnixMs !== b.timeUnixMs) return a.timeUnixMs - b.timeUnixMs;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/** The comparator of `order`: negative when `a` comes first. */
export function comparatorOf(order: EventOrder): (a: InferenceEvent, b: InferenceEvent) => number {
  return order === 'oldest-first' ? compareOldestFirst : (a, b) => compareOldestFirst(b, a);
}
