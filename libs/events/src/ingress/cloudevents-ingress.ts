/**
 * `POST /events`: InferenceEvents as CloudEvents 1.0 (binary, structured and batched mode;
 * type `io.sightline.inference`), from a Knative Trigger or the router's CloudEvents sink.
 * 202 only once every event of the request is queued (or known already); 429 with
 * Retry-After when the queue cannot take the whole request, 503 with Retry-After while the
 * service stops, so the sender retries instead of losing events; 400 naming what is wrong
 * with an invalid event (a retry would not help); 405 and 413 as their names say.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type CloudEventV1, HTTP } from 'cloudevents';
import { fromCloudEvent } from '../cloudevents/cloud-event-mapping.js';
import type { InferenceEvent } from '../inference-event.js';
import type { EventIngressQueue } from './event-ingress-queue.js';

/** What the route counts. */
export interface IngressObserver {
  received(events: number, duplicates: number): void;
  refused(reason: 'full' | 'stopped' | 'invalid' | 'too_large' | 'method'): void;
}

/** Options of {@link createEventsRoute}. */
export interface EventsRouteOptions {
  readonly queue: EventIngressQueue;
  readonly maxBodyBytes: number;
  readonly retryAfterSeconds: number;
  readonly observer: IngressObserver;
  /** The service's name in the 503 answer (`drift`, `outlier`). */
  readonly serviceName: string;
  /**
   * Handlers of other event types this service also takes (the metrics service takes the
   * outlier service's `io.sightline.outlier`): each such event's data goes to its handler,
   * synchronously, and is not queued. A type neither inference nor here is refused (400).
   */
  readonly otherTypes?: Readonly<Record<string, (data: unknown, event: CloudEventV1<unknown>) => void>>;
}

/** The `POST /events` handler for the HTTP side port of a service that consumes the event stream. */
export function createEventsRoute(options: EventsRouteOptions) {
  const { queue, maxBodyBytes, observer } = options;
  const retryAfter = String(options.retryAfterSeconds);
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (request.method !== 'POST') {
      observer.refused('method');
      answer(response, 405, `method ${request.method} is not allowed: POST CloudEvents`, { allow: 'POST' });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
    });
    request.on('error', () => response.destroy());
    request.on('end', () => {
      if (size > maxBodyBytes) {
        observer.refused('too_large');
        answer(response, 413, `body is ${size} bytes, over --events-max-body-bytes (${maxBodyBytes})`);
        return;
      }
      let events: InferenceEvent[];
      try {
        const body = Buffer.concat(chunks).toString('utf8');
        const list = isBatch(request.headers['content-type'])
          ? parseBatch(body)
          : (() => {
              const parsed = HTTP.toEvent({ headers: request.headers, body });
              return (Array.isArray(parsed) ? parsed : [parsed]) as CloudEventV1<unknown>[];
            })();
        const others = options.otherTypes ?? {};
        const handled = list.filter((cloudEvent) => Object.hasOwn(others, cloudEvent.type));
        events = list
          .filter((cloudEvent) => !Object.hasOwn(others, cloudEvent.type))
          .map((cloudEvent) => fromCloudEvent(cloudEvent));
        for (const cloudEvent of handled) others[cloudEvent.type]!(cloudEvent.data, cloudEvent);
        if (events.length === 0) {
          answer(response, 202, '');
          return;
        }
      } catch (error) {
        observer.refused('invalid');
        answer(response, 400, `invalid CloudEvent: ${describe(error)}`);
        return;
      }
      const result = queue.offer(events);
      if (!result.accepted) {
        observer.refused(result.reason);
        const status = result.reason === 'full' ? 429 : 503;
        const why =
          result.reason === 'full'
            ? `event queue full (--event-queue-capacity): ${events.length} event(s) not accepted, retry later`
            : `the ${options.serviceName} service is starting or stopping: retry later`;
        answer(response, status, why, { 'retry-after': retryAfter });
        return;
      }
      observer.received(result.queued, result.duplicates);
      answer(response, 202, '');
    });
  };
}

/** The batched mode's media type (CloudEvents HTTP binding 1.0, 3.3). */
export const BATCH_CONTENT_TYPE = 'application/cloudevents-batch+json';

function isBatch(contentType: string | undefined): boolean {
  return contentType?.split(';')[0]?.trim().toLowerCase() === BATCH_CONTENT_TYPE;
}

/**
 * A batch's events, checked for the attributes the CloudEvents spec requires. The local
 * stack batches hundreds of events per request, and the cloudevents library's per-event
 * object and JSON-schema validation cost more than scoring them; `fromCloudEvent` then
 * checks the type, the data and the id as for every mode.
 */
function parseBatch(body: string): CloudEventV1<unknown>[] {
  const parsed: unknown = JSON.parse(body);
  if (!Array.isArray(parsed)) throw new Error('a batch must be a JSON array of CloudEvents');
  return parsed.map((value: unknown, index) => {
    const event = value as Partial<CloudEventV1<unknown>> | null;
    if (typeof event !== 'object' || event === null) throw new Error(`batch[${index}]: not an object`);
    if (event.specversion !== '1.0')
      throw new Error(`batch[${index}]: specversion must be "1.0", got ${JSON.stringify(event.specversion)}`);
    for (const attribute of ['id', 'source', 'type'] as const) {
      if (typeof event[attribute] !== 'string' || event[attribute] === '')
        throw new Error(`batch[${index}]: attribute ${attribute} is required`);
    }
    return event as CloudEventV1<unknown>;
  });
}

function answer(
  response: ServerResponse,
  status: number,
  sentence: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  response.end(sentence ? `${sentence}\n` : '');
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    // cloudevents' ValidationError carries the schema errors separately.
    const details = (error as { errors?: unknown[] }).errors;
    return details?.length ? `${error.message}: ${JSON.stringify(details)}` : error.message;
  }
  return String(error);
}
