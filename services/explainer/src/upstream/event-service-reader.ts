/**
 * Stored events through the router's EventService (QueryEvents, newest first), in pages of
 * the router's --max-events-per-query. Each next page ends (exclusive) just after the oldest
 * millisecond seen, and the events already visited in that millisecond are skipped by id, so
 * events sharing a millisecond across a page boundary are neither lost nor counted twice
 * (global explanations count every matching event). Only when one whole page falls in a
 * single millisecond does the next page start before it, skipping that millisecond's rest.
 */
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { eventsV1, type inference } from '@sightline/contracts';
import { errorFromStatus } from '@sightline/errors';
import { decodeInferInputs } from '@sightline/tensor';
import type { StoredEvent, StoredEventInputs, StoredEventQuery } from '../data-plane/stored-events.js';
import type { UpstreamCallOptions } from '../data-plane/target-ports.js';

/** Events asked per QueryEvents call: the router's default --max-events-per-query. */
export const EVENTS_PER_QUERY = 1_000;

export class EventServiceReader implements StoredEventInputs {
  private readonly client: eventsV1.EventServiceClient;

  constructor(
    private readonly address: string,
    maxReceiveMessageBytes: number,
    private readonly eventsPerQuery = EVENTS_PER_QUERY,
  ) {
    this.client = new eventsV1.EventServiceClient(address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': maxReceiveMessageBytes,
    });
  }

  async scan(
    query: StoredEventQuery,
    options: UpstreamCallOptions,
    visit: (event: StoredEvent) => void,
  ): Promise<number> {
    let visited = 0;
    let toUnixMs = query.toUnixMs;
    // Ids visited in the millisecond the next page ends at (it includes that millisecond again).
    let seenAtEdge = new Set<string>();
    while (visited < query.maxEvents && toUnixMs > query.fromUnixMs) {
      const limit = Math.min(this.eventsPerQuery, query.maxEvents - visited + seenAtEdge.size);
      const events = await this.page(query, toUnixMs, limit, options);
      let fresh = 0;
      for (const event of events) {
        if (seenAtEdge.has(event.eventId)) continue;
        fresh += 1;
        if (query.modelVersion && event.modelVersion !== query.modelVersion) continue;
        if (visited >= query.maxEvents) break;
        visited += 1;
        visit({
          eventId: event.eventId,
          modelName: event.modelName,
          modelVersion: event.modelVersion,
          graph: event.graph,
          inputs: decodeInferInputs({
            inputs: event.inputs,
            rawInputContents: [],
          } as unknown as inference.ModelInferRequest),
        });
      }
      if (events.length < limit) break;
      const oldest = Math.min(...events.map((e) => e.time?.getTime() ?? toUnixMs));
      if (fresh === 0 || oldest + 1 >= toUnixMs) {
        // A whole page in one millisecond: step past it (its other events are skipped).
        toUnixMs = oldest;
        seenAtEdge = new Set();
      } else {
        toUnixMs = oldest + 1;
        seenAtEdge = new Set(events.filter((e) => e.time?.getTime() === oldest).map((e) => e.eventId));
      }
    }
    return visited;
  }

  private page(
    query: StoredEventQuery,
    toUnixMs: number,
    limit: number,
    options: UpstreamCallOptions,
  ): Promise<eventsV1.InferenceEvent[]> {
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(options.traceHeaders ?? {})) metadata.set(key, value);
    return new Promise((resolve, reject) => {
      const events: eventsV1.InferenceEvent[] = [];
      const stream = this.client.queryEvents(
        {
          fromTime: new Date(query.fromUnixMs),
          toTime: new Date(toUnixMs),
          modelName: query.modelName,
          graph: query.graph,
          requestId: '',
          statusCode: 'OK',
          limit,
          order: eventsV1.EventOrder.EVENT_ORDER_NEWEST_FIRST,
        },
        metadata,
        { deadline: new Date(options.deadlineMs) },
      );
      const stop = options.cancellation.onCancel(() => stream.cancel());
      stream.on('data', (message: eventsV1.QueryEventsResponse) => {
        if (message.event) events.push(message.event);
      });
      stream.on('error', (error: ServiceError) => {
        stop();
        const details = error.details || error.message;
        reject(
          errorFromStatus(
            error.code,
            error.code === 14 ? `router ${this.address}: unavailable: ${details}` : details,
            { cause: error },
          ),
        );
      });
      stream.on('end', () => {
        stop();
        resolve(events);
      });
    });
  }

  close(): void {
    this.client.close();
  }
}
