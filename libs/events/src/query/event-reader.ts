import type { Cancellation } from '@sightline/errors';
import type { InferenceEvent } from '../inference-event.js';
import type { EventFilter, EventQuery } from './event-query.js';

/**
 * Reads stored events: the file store's planner or Elasticsearch. The answer to a query is
 * exactly "every stored event that matches the filter, each event id once, sorted in the
 * query's order, the first `limit` of them", whatever the store.
 */
export interface EventReader {
  /** What is read, for logs and messages, e.g. `file store .data/router/events`. */
  readonly description: string;
  /**
   * Answers `query` (already checked: see `resolveEventQuery`). Stops with the
   * cancellation's reason when the caller gives up.
   * @throws ResourceExhaustedError when the store's own bound on work per query is hit;
   *   UnavailableError when the store cannot be reached.
   */
  query(query: EventQuery, cancellation?: Cancellation): Promise<InferenceEvent[]>;
  /**
   * Every stored event of a time range that matches the filter, each event id once, in
   * batches, in one pass over the store: for scans too long to page through with `query`
   * (a page is a new query, and a file store re-reads a segment for each). Not sorted: in
   * store order, close to time order. Optional; callers page with `query` without it.
   * Stops with the cancellation's reason when the caller gives up.
   */
  scan?(scan: EventScan, cancellation?: Cancellation): AsyncIterable<readonly InferenceEvent[]>;
}

/** What {@link EventReader.scan} reads. */
export interface EventScan extends EventFilter {
  readonly fromUnixMs: number;
  /** First instant excluded. */
  readonly toUnixMs: number;
  /** Events per batch; default {@link DEFAULT_SCAN_BATCH_EVENTS}. */
  readonly batchEvents?: number;
}

/** Events per batch of a scan by default. */
export const DEFAULT_SCAN_BATCH_EVENTS = 1000;
