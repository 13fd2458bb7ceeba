import type { IncomingMessage, ServerResponse } from 'node:http';
import { SightlineError } from '@sightline/errors';
import { type CloudEventV1, HTTP } from 'cloudevents';
import type { EventLogger } from '../event-logger.js';
import type { EventSource, EventSubscriber, EventSubscription } from '../event-source.js';
import type { InferenceEvent } from '../inference-event.js';
import { fromCloudEvent } from './cloud-event-mapping.js';

/** Default largest request body accepted: 4 MiB. */
export const DEFAULT_CLOUD_EVENTS_MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Options of {@link createCloudEventsHandler}. */
export interface CloudEventsHandlerOptions {
  /** Largest body accepted; larger requests get 413. Default 4 MiB. */
  readonly maxBodyBytes?: number;
  /** Where failures of the callback are logged. */
  readonly logger?: EventLogger;
}

/** A node:http request listener. */
export type CloudEventsRequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * A node:http request handler for CloudEvents of type `io.sightline.inference` (a
 * Knative Trigger target). Parses binary and structured modes (and batches) with
 * `HTTP.toEvent`, validates each event and hands the InferenceEvents to `onEvents`.
 * Answers 202 once `onEvents` resolves; 400 with a sentence for an invalid event; 405 for
 * a method other than POST; 413 for a body over the limit; 503 when `onEvents` throws, so
 * the broker redelivers.
 */
export function createCloudEventsHandler(
  onEvents: (events: readonly InferenceEvent[]) => void | Promise<void>,
  options: CloudEventsHandlerOptions = {},
): CloudEventsRequestHandler {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_CLOUD_EVENTS_MAX_BODY_BYTES;
  return (req, res) => {
    if (req.method !== 'POST') {
      answer(res, 405, `method ${req.method} is not allowed: POST a CloudEvent`);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (tooLarge) {
        answer(res, 413, `body is ${size} bytes, over the limit of ${maxBodyBytes} bytes (maxBodyBytes)`);
        return;
      }
      let events: InferenceEvent[];
      try {
        const parsed = HTTP.toEvent({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const list = (Array.isArray(parsed) ? parsed : [parsed]) as CloudEventV1<unknown>[];
        events = list.map((ce) => fromCloudEvent(ce));
      } catch (error) {
        answer(res, 400, `invalid CloudEvent: ${describe(error)}`);
        return;
      }
      Promise.resolve()
        .then(() => onEvents(events))
        .then(
          () => answer(res, 202, ''),
          (error: unknown) => {
            options.logger?.error('CloudEvents receiver: handing events on failed', {
              cause: describe(error),
            });
            answer(res, 503, `events not accepted, retry later: ${describe(error)}`);
          },
        );
    });
  };
}

/**
 * The production consumer side: an {@link EventSource} fed by CloudEvents over HTTP.
 * Mount `handler` on the service's HTTP server at the path the Knative Trigger targets.
 * Every subscriber gets every batch; if one throws, the request answers 503 and the
 * broker redelivers (subscribers deduplicate by event id).
 */
export class CloudEventsEventSource implements EventSource {
  private subscribers: EventSubscriber[] = [];
  /** The node:http request handler to mount. */
  readonly handler: CloudEventsRequestHandler;

  constructor(options: CloudEventsHandlerOptions = {}) {
    this.handler = createCloudEventsHandler(async (events) => {
      await Promise.all(this.subscribers.map(async (s) => s(events)));
    }, options);
  }

  subscribe(subscriber: EventSubscriber): EventSubscription {
    this.subscribers = [...this.subscribers, subscriber];
    return {
      unsubscribe: () => {
        this.subscribers = this.subscribers.filter((s) => s !== subscriber);
      },
    };
  }
}

function answer(res: ServerResponse, status: number, sentence: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(sentence ? `${sentence}\n` : '');
}

function describe(error: unknown): string {
  if (error instanceof SightlineError) return error.message;
  if (error instanceof Error) {
    // cloudevents' ValidationError carries the schema errors separately.
    const details = (error as { errors?: unknown[] }).errors;
    return details?.length ? `${error.message}: ${JSON.stringify(details)}` : error.message;
  }
  return String(error);
}
