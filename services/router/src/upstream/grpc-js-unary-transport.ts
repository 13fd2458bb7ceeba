/**
 * The {@link UnaryTransport} over a grpc-js client: identity (de)serializers, so the bytes
 * pass through as they are, and grpc-js's channel does the rest (every target form,
 * round_robin, TLS, keepalive, reconnection).
 */
import { type Client, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { UnaryCallError } from './grpc-call-status.js';
import type { UnaryTransport, UnaryTransportCallOptions } from './unary-transport.js';

const identity = (bytes: Buffer): Buffer => bytes;

/** A unary transport on one grpc-js client (the pool's; closing it is the pool's job). */
export class GrpcJsUnaryTransport implements UnaryTransport {
  /** @param client a pooled client of the target; {@link close} leaves it open. */
  constructor(private readonly client: Client) {}

  call(path: string, message: Uint8Array, options: UnaryTransportCallOptions): Promise<Buffer> {
    const metadata = new Metadata();
    const headers = options.headers;
    if (headers) for (const key in headers) metadata.set(key, headers[key]!);
    // grpc-js's identity serializer wants a Buffer: a view, not a copy.
    const request = Buffer.isBuffer(message)
      ? message
      : Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    return new Promise((resolve, reject) => {
      let stopListening: (() => void) | undefined;
      let call: ReturnType<Client['makeUnaryRequest']>;
      try {
        call = this.client.makeUnaryRequest<Buffer, Buffer | undefined>(
          path,
          identity,
          identity,
          request,
          metadata,
          { deadline: new Date(options.deadlineMs) },
          (error: ServiceError | null, response?: Buffer) => {
            stopListening?.();
            if (error) reject(new UnaryCallError(error.code, error.details));
            else if (!response) reject(new UnaryCallError(status.INTERNAL, 'no response message'));
            else resolve(response);
          },
        );
      } catch (error) {
        // A closed client throws instead of failing the call.
        reject(new UnaryCallError(status.UNAVAILABLE, (error as Error).message));
        return;
      }
      // grpc-js answers on a later turn, so the listener is in place before the callback runs.
      stopListening = options.cancellation.onCancel(() => call.cancel());
    });
  }

  /** The client belongs to the pool, which closes it. */
  close(): void {}
}
