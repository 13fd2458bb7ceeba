/**
 * The upstream unary call, behind one small interface: the router's ModelInfer calls go
 * through it and do not know which gRPC client carries them (setting `--upstream-client`,
 * chosen once in {@link UpstreamClients}).
 */
import type { Cancellation } from '@sightline/errors';

/** One call's deadline, cancellation and metadata. */
export interface UnaryTransportCallOptions {
  /** Epoch ms; Infinity for none. */
  readonly deadlineMs: number;
  readonly cancellation: Cancellation;
  /** Metadata sent as headers (lower-case ASCII keys), e.g. traceparent, tracestate, baggage. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * A unary gRPC call with bytes in and bytes out, to one upstream target. Implementations:
 * {@link Http2UnaryChannel} (node:http2, hand-written), {@link GrpcJsUnaryTransport}
 * (grpc-js) and {@link ConnectUnaryTransport} (`@connectrpc/connect-node`).
 */
export interface UnaryTransport {
  /**
   * Calls `path` (`/package.Service/Method`) with `message` (the serialized request);
   * resolves with the response message's bytes. Rejects with a {@link UnaryCallError}:
   * the gRPC status code and its details, worded as close to grpc-js as the client allows
   * ({@link fromServiceError} turns it into the domain error).
   */
  call(path: string, message: Uint8Array, options: UnaryTransportCallOptions): Promise<Buffer>;
  /** Ends the transport's connections; calls in flight fail, later calls fail UNAVAILABLE. */
  close(): void;
}
