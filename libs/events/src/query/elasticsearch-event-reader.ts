import { type Client, errors } from '@elastic/elasticsearch';
import { type Cancellation, NEVER_CANCELLED, UnavailableError } from '@sightline/errors';
import { DEFAULT_DATA_STREAM } from '../elasticsearch/elasticsearch-resources.js';
import { eventFromJson } from '../event-codec.js';
import type { InferenceEvent } from '../inference-event.js';
import type { EventQuery } from './event-query.js';
import type { EventReader } from './event-reader.js';

/** Options of {@link ElasticsearchEventReader}. */
export interface ElasticsearchEventReaderOptions {
  /** A client built by the service (node URL, auth, TLS, `requestTimeout`). */
  readonly client: Client;
  /** The data stream the sink writes. Default `sightline-events`. */
  readonly dataStream?: string;
}

/** The keyword field each text filter is matched on (see `eventMappings`). */
const TERM_FIELDS = {
  modelName: 'modelName',
  graph: 'graph',
  requestId: 'requestId',
  statusCode: 'statusCode',
} as const;

/**
 * Reads events from the data stream {@link ElasticsearchSink} writes: one `_search` with a
 * `range` on `timeUnixMs` (gte from, lt to) and a `term` per text filter, in filter context
 * (no scoring), sorted by `timeUnixMs` then `eventId` in the query's direction, `size` =
 * limit. The sink stores each event once (`_id` = event id), so no deduplication is needed.
 * A data stream not created yet (no event written) answers no events. `limit` must stay
 * within the index's `max_result_window` (10,000 by default).
 */
export class ElasticsearchEventReader implements EventReader {
  readonly description: string;
  private readonly client: Client;
  private readonly dataStream: string;

  constructor(options: ElasticsearchEventReaderOptions) {
    this.client = options.client;
    this.dataStream = options.dataStream ?? DEFAULT_DATA_STREAM;
    this.description = `Elasticsearch data stream ${this.dataStream}`;
  }

  /** The `_search` request body of `query` (exported for tests and for operators reading logs). */
  searchRequest(query: EventQuery) {
    const filter: object[] = [];
    if (query.fromUnixMs !== undefined || query.toUnixMs !== undefined) {
      filter.push({
        range: {
          timeUnixMs: {
            ...(query.fromUnixMs !== undefined && { gte: query.fromUnixMs }),
            ...(query.toUnixMs !== undefined && { lt: query.toUnixMs }),
          },
        },
      });
    }
    for (const [key, field] of Object.entries(TERM_FIELDS)) {
      const value = query[key as keyof typeof TERM_FIELDS];
      if (value !== undefined) filter.push({ term: { [field]: value } });
    }
    const direction = query.order === 'oldest-first' ? 'asc' : 'desc';
    return {
      index: this.dataStream,
      size: query.limit,
      track_total_hits: false,
      sort: [{ timeUnixMs: { order: direction } }, { eventId: { order: direction } }],
      query: { bool: { filter } },
    };
  }

  async query(query: EventQuery, cancellation: Cancellation = NEVER_CANCELLED): Promise<InferenceEvent[]> {
    if (cancellation.cancelReason) throw cancellation.cancelReason;
    const controller = new AbortController();
    const stop = cancellation.onCancel((reason) => controller.abort(reason));
    try {
      // biome-ignore lint/suspicious/noExplicitAny: the client's request typings lag its accepted shapes.
      const response = await this.client.search(this.searchRequest(query) as any, {
        signal: controller.signal,
      });
      return response.hits.hits.map((hit) => eventFromJson(hit._source));
    } catch (error) {
      if (cancellation.cancelReason) throw cancellation.cancelReason;
      if (error instanceof errors.ResponseError && error.statusCode === 404) return [];
      if (
        error instanceof errors.ConnectionError ||
        error instanceof errors.TimeoutError ||
        error instanceof errors.NoLivingConnectionsError ||
        (error instanceof errors.ResponseError && (error.statusCode ?? 0) >= 500) ||
        (error instanceof errors.ResponseError && error.statusCode === 429)
      ) {
        throw new UnavailableError(`${this.description}: ${(error as Error).message}`, { cause: error });
      }
      throw error;
    } finally {
      stop();
    }
  }
}
