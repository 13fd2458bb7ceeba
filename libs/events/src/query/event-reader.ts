import type { Cancellation } from '@sightline/errors';
import type { InferenceEvent } from '../inference-event.js';
import type { EventQuery } from './event-query.js';

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
}
