/**
 * Requests grpc-js cannot decode answered INVALID_ARGUMENT (the caller sent bad bytes), not
 * INTERNAL: the service definition's deserializers hand the handler a marker instead of
 * throwing, and the handler's `decoded` turns it into the error naming the message.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { InvalidArgumentError } from '@sightline/errors';

/** A request grpc-js could not decode, passed on so the handler answers INVALID_ARGUMENT. */
export class UndecodableRequest {
  constructor(readonly reason: string) {}
}

/** `definition` with deserializers that answer bad bytes INVALID_ARGUMENT, not INTERNAL. */
export function tolerantDefinition(definition: ServiceDefinition): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(definition).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return method.requestDeserialize(bytes);
          } catch (error) {
            return new UndecodableRequest(error instanceof Error ? error.message : String(error));
          }
        },
      },
    ]),
  );
}

/**
 * The request a handler of a {@link tolerantDefinition} was given.
 * @throws InvalidArgumentError naming `message` (the request's type) when it could not be decoded.
 */
export function decoded<Req>(request: Req | UndecodableRequest, message: string): Req {
  if (request instanceof UndecodableRequest)
    throw new InvalidArgumentError(`${message}: malformed protobuf: ${request.reason}`);
  return request;
}
