/**
 * Stored events' request tensors through the router's EventService (QueryEvents, newest
 * first), in pages of the router's --max-events-per-query: each next page ends (exclusive)
 * at the oldest event time seen, so events sharing that millisecond with the page's last
 * are skipped, which a background sample can afford.
 */
import { credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { eventsV1, type inference } from '@sightline/contracts';
import { errorFromStatus } from '@sightline/errors';
import { decodeInferInputs, type Tensor } from '@sightline/tensor';
import type { StoredEventInputs, StoredEventQuery } from '../data-plane/stored-events.js';
import type { UpstreamCallOptions } from '../data-plane/target-ports.js';

/** Events asked per QueryEvents call: the router's default --max-events-per-query. */
export const EVENTS_PER_QUERY = 1_000;

export class EventServiceReader implements StoredEventInputs {
  private readonly client: eventsV1.EventServiceClient;

  constructor(
    private readonly address: string,
    maxReceiveMessageBytes: number,
  ) {
    this.client = new eventsV1.EventServiceClient(address, credentials.createInsecure(), {
      'grpc.max_receive_message_length': maxReceiveMessageBytes,
    });
  }

  async read(query: StoredEventQuery, options: UpstreamCallOptions): Promise<Tensor[][]> {
    const out: Tensor[][] = [];
    let toUnixMs = query.toUnixMs;
    while (out.length < query.maxEvents && toUnixMs > query.fromUnixMs) {
      const limit = Math.min(EVENTS_PER_QUERY, query.maxEvents - out.length);
      const events = await this.page(query, toUnixMs, limit, options);
      for (const event of events) {
        if (query.modelVersion && event.modelVersion !== query.modelVersion) continue;
        out.push(
          decodeInferInputs({
            inputs: event.inputs,
            rawInputContents: [],
          } as unknown as inference.ModelInferRequest),
        );
      }
      if (events.length < limit) break;
      toUnixMs = Math.min(...events.map((e) => e.time?.getTime() ?? toUnixMs));
    }
    return out;
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
