import {
  comparatorOf,
  type EventQuery,
  type EventReader,
  type InferenceEvent,
  matchesEventFilter,
} from '@sightline/events';

/**
 * An EventReader over an array with the readers' contract (filter, order, limit); it
 * records each query, for tests of historical runs and stored references.
 */
export class ArrayEventReader implements EventReader {
  readonly description = 'events in memory';
  readonly queries: EventQuery[] = [];

  constructor(private readonly events: readonly InferenceEvent[]) {}

  async query(query: EventQuery): Promise<InferenceEvent[]> {
    this.queries.push(query);
    return this.events
      .filter((e) => matchesEventFilter(e, query))
      .sort(comparatorOf(query.order))
      .slice(0, query.limit);
  }
}
