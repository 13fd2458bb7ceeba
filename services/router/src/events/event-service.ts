/**
 * The gRPC adapter of `sightline.events.v1.EventService`: decode, one call to the event
 * history, encode each event as a stream message. The service-kit's wrapper adds spans,
 * metrics, logs, error mapping and backpressure (`send` waits while the caller is slow).
 */
import type { Server } from '@grpc/grpc-js';
import { eventsV1 } from '@sightline/contracts';
import { FailedPreconditionError } from '@sightline/errors';
import type { EventHistory } from '@sightline/events';
import { type CallKit, decoded, serverStream, tolerantDefinition } from '@sightline/service-kit';
import {
  eventToMessage,
  queryFromMessage,
  tailFromMessage,
  tailItemToMessage,
} from '../contract/event-message.js';

const EVENTS = 'sightline.events.v1.EventService';

/** Why there is no history, said to callers (the router's flags that give it one). */
export const NO_HISTORY =
  'this router stores no events: start it with --events=true and --events-file-store=true or --events-elasticsearch-url';

/**
 * Adds the event service to `server`. `history` is read per call: the router builds it
 * when it starts its pipeline, after the service is registered; undefined means the router
 * stores no events (FAILED_PRECONDITION).
 */
export function registerEventService(
  server: Server,
  kit: CallKit,
  history: () => EventHistory | undefined,
): void {
  const m = (name: string) => `${EVENTS}/${name}`;
  const required = (method: string): EventHistory => {
    const h = history();
    if (!h) throw new FailedPreconditionError(`${method}: ${NO_HISTORY}`);
    return h;
  };
  const implementation: eventsV1.EventServiceServer = {
    queryEvents: serverStream(kit, m('QueryEvents'), async (req: eventsV1.QueryEventsRequest, call, send) => {
      const query = queryFromMessage(decoded(req, 'QueryEventsRequest'));
      const events = await required('QueryEvents').query(query, call);
      for (const event of events) await send({ event: eventToMessage(event) });
    }),
    tailEvents: serverStream(kit, m('TailEvents'), async (req: eventsV1.TailEventsRequest, call, send) => {
      const tail = tailFromMessage(decoded(req, 'TailEventsRequest'));
      for await (const item of required('TailEvents').tail(tail, call)) {
        await send(tailItemToMessage(item));
      }
    }),
  };
  // Tolerant: bytes that are no request are INVALID_ARGUMENT naming the message, as elsewhere.
  server.addService(tolerantDefinition(eventsV1.EventServiceService), implementation);
}
