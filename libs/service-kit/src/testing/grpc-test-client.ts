/**
 * Promise calls on a generated grpc-js client, for the tests of a service built on the kit:
 * each service's test helper lists its methods, these make the calls and gather streams.
 */
import { type Client, type ClientReadableStream, Metadata, type ServiceError } from '@grpc/grpc-js';

/** A test call's deadline: long enough for a slow CI machine, short enough to fail a hang. */
export const TEST_CALL_DEADLINE_MS = 20_000;

/**
 * A maker of unary promise calls on `raw`: `call(method, type)` answers a function that
 * builds the request with `type.fromPartial` and calls `method` with
 * {@link TEST_CALL_DEADLINE_MS}.
 */
export function unaryCaller(raw: Client) {
  return <Req, Res>(method: string, type: { fromPartial(o: unknown): Req }) =>
    (request: unknown): Promise<Res> =>
      new Promise((resolve, reject) => {
        const fn = (raw as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!.bind(raw);
        fn(
          type.fromPartial(request),
          new Metadata(),
          { deadline: Date.now() + TEST_CALL_DEADLINE_MS },
          (error: ServiceError | null, response: Res) => (error ? reject(error) : resolve(response)),
        );
      });
}

/** Every message of a server stream; on error, those received before it are on the error's `received`. */
export function collectStream<T>(stream: ClientReadableStream<T>): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    stream.on('data', (item: T) => items.push(item));
    stream.on('error', (error: Error) => reject(Object.assign(error, { received: items })));
    stream.on('end', () => resolve(items));
  });
}
