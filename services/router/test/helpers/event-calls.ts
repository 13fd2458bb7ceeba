/** Calls of EventService's server streams, for tests. */
import { type ClientReadableStream, credentials, type ServiceError } from '@grpc/grpc-js';
import { eventsV1 } from '@sightline/contracts';

export function eventClient(address: string): eventsV1.EventServiceClient {
  return new eventsV1.EventServiceClient(address, credentials.createInsecure());
}

/** Every message of a finished stream, or the stream's error. */
export function collect<T>(stream: ClientReadableStream<T>): Promise<T[]> {
  const messages: T[] = [];
  return new Promise((resolve, reject) => {
    stream.on('data', (m: T) => messages.push(m));
    stream.on('error', (error: ServiceError) => reject(error));
    stream.on('end', () => resolve(messages));
  });
}

/** QueryEvents, collected. */
export function queryEvents(
  client: eventsV1.EventServiceClient,
  request: Partial<eventsV1.QueryEventsRequest>,
): Promise<eventsV1.InferenceEvent[]> {
  return collect(client.queryEvents(eventsV1.QueryEventsRequest.fromPartial(request))).then((ms) =>
    ms.map((m) => m.event!),
  );
}

/**
 * A stream read one message at a time: `next()` resolves with the next message, or rejects
 * with the stream's error; `ended` tells whether the stream ended with OK.
 */
export function reader<T>(stream: ClientReadableStream<T>) {
  const queue: T[] = [];
  let error: ServiceError | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  stream.on('data', (m: T) => {
    queue.push(m);
    wake?.();
  });
  stream.on('error', (e: ServiceError) => {
    error = e;
    wake?.();
  });
  stream.on('end', () => {
    ended = true;
    wake?.();
  });
  return {
    async next(): Promise<T> {
      for (;;) {
        const m = queue.shift();
        if (m !== undefined) return m;
        if (error) throw error;
        if (ended) throw new Error('stream ended');
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    },
    /** Waits for the stream's end: its status error, or undefined for OK. */
    async end(): Promise<ServiceError | undefined> {
      while (!error && !ended) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      return error;
    },
    cancel: () => stream.cancel(),
  };
}
