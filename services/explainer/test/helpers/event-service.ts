/**
 * An EventService over real gRPC answering the router's QueryEvents contract (half-open time
 * range, model, limit, order; ties by event id) from a list, recording the queries.
 */
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import { eventsV1 } from '@sightline/contracts';

/** An EventService answering QueryEvents (time range, model, limit, order) from `events`. */
export async function startEventService(
  events: readonly eventsV1.InferenceEvent[],
  queries: eventsV1.QueryEventsRequest[],
) {
  const server = new Server();
  server.addService(eventsV1.EventServiceService, {
    queryEvents: (call: ServerWritableStream<eventsV1.QueryEventsRequest, eventsV1.QueryEventsResponse>) => {
      const q = call.request;
      queries.push(q);
      const from = q.fromTime?.getTime() ?? Number.NEGATIVE_INFINITY;
      const to = q.toTime?.getTime() ?? Number.POSITIVE_INFINITY;
      const matching = events
        .filter(
          (e) =>
            e.time!.getTime() >= from &&
            e.time!.getTime() < to &&
            (!q.modelName || e.modelName === q.modelName) &&
            (!q.graph || e.graph === q.graph),
        )
        .sort((a, b) => {
          const ascending =
            a.time!.getTime() - b.time!.getTime() ||
            (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);
          return q.order === eventsV1.EventOrder.EVENT_ORDER_NEWEST_FIRST ? -ascending : ascending;
        })
        .slice(0, q.limit || 100);
      for (const event of matching) call.write({ event });
      call.end();
    },
    tailEvents: (call: ServerWritableStream<unknown, unknown>) => call.end(),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.tryShutdown(() => resolve())),
  };
}
