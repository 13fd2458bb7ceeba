/**
 * The metadata every call carries: the caller's headers, the bearer token, and the W3C
 * trace context of the caller's active OpenTelemetry span (`traceparent`, `tracestate`,
 * `baggage`), so the router's and model-server's spans join the caller's trace. Without a
 * registered propagator (no OpenTelemetry SDK in the process) injection writes nothing.
 */
import { Metadata } from '@grpc/grpc-js';
import { type Context, propagation, type TextMapSetter } from '@opentelemetry/api';
import { InvalidArgumentError } from '@sightline/errors';

const metadataSetter: TextMapSetter<Metadata> = {
  set: (carrier, key, value) => carrier.set(key, value),
};

/** Metadata keys grpc-js or HTTP/2 own; a caller header of that name is refused. */
const RESERVED_HEADER = /^(grpc-|:)|^(content-type|te|user-agent|host)$/;

/**
 * Builds a call's metadata. The trace context is the one active when the call was made
 * (`traceContext`), so a retry after an await still carries the caller's span.
 *
 * @throws InvalidArgumentError for a header name grpc-js or HTTP/2 reserve.
 */
export function buildCallMetadata(
  headers: Readonly<Record<string, string>> | undefined,
  token: string | undefined,
  traceContext: Context,
): Metadata {
  const metadata = new Metadata();
  if (headers !== undefined) setHeaders(metadata, headers);
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  propagation.inject(traceContext, metadata, metadataSetter);
  return metadata;
}

function setHeaders(metadata: Metadata, headers: Readonly<Record<string, string>>): void {
  for (const [key, value] of Object.entries(headers)) {
    const name = key.toLowerCase();
    if (RESERVED_HEADER.test(name)) {
      throw new InvalidArgumentError(
        `headers: ${JSON.stringify(key)} is set by gRPC itself; use another name`,
      );
    }
    try {
      metadata.set(name, value);
    } catch (error) {
      // grpc-js refuses names outside [0-9a-z_.-] and text values for `-bin` names.
      throw new InvalidArgumentError(`headers: ${JSON.stringify(key)}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}
