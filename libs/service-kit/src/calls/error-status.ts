/**
 * The one place where errors become gRPC statuses. Domain errors carry a code and a
 * sentence for the caller; anything else is a bug, answered INTERNAL with a short message
 * while the cause goes to the log. Every message is bounded here, whatever built it.
 */
import { Metadata, type StatusObject, status } from '@grpc/grpc-js';
import { type ErrorCode, isSightlineError, truncateText } from '@sightline/errors';

/**
 * The longest status message (grpc-message) a caller receives, in characters; longer ones
 * are cut with `… (N more characters)`. The message travels in an HTTP/2 trailer: one too
 * large for the peer's header limits (grpc-js: about 128 KB once percent-encoded) can never
 * be sent, and the call then never ends. 1,024 characters is far more than any sentence
 * here needs (caller-supplied names are quoted at 64) and at most ~9 KB percent-encoded.
 */
export const STATUS_MESSAGE_MAX_LENGTH = 1024;

const STATUS_BY_CODE: Readonly<Record<ErrorCode, status>> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  NOT_FOUND: status.NOT_FOUND,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
  CANCELLED: status.CANCELLED,
  UNIMPLEMENTED: status.UNIMPLEMENTED,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  INTERNAL: status.INTERNAL,
};

/**
 * An error that names trailing metadata for its status, e.g. the router's
 * `sightline-trace-id`; other errors answer with none.
 */
export interface WithTrailingMetadata {
  readonly trailingMetadata?: Readonly<Record<string, string>>;
}

/** The trailing metadata an error names (text values only). */
function trailersOf(error: unknown): Metadata {
  const metadata = new Metadata();
  const trailers =
    typeof error === 'object' && error !== null
      ? (error as WithTrailingMetadata).trailingMetadata
      : undefined;
  if (trailers !== undefined) {
    for (const [key, value] of Object.entries(trailers))
      if (typeof value === 'string') metadata.set(key, value);
  }
  return metadata;
}

/** A status for the caller, plus whether the error was expected (a caller's or a dependency's fault). */
export interface MappedError extends StatusObject {
  readonly expected: boolean;
}

/** True for an error that already carries a gRPC status (a downstream call's failure). */
function isGrpcStatusError(error: unknown): error is { code: status; details?: string; message: string } {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'number' &&
    (error as { code: number }).code in status
  );
}

/** Maps any thrown value to the status the caller receives. */
export function toGrpcStatus(error: unknown): MappedError {
  if (isSightlineError(error)) {
    return {
      code: STATUS_BY_CODE[error.code],
      details: truncateText(error.message, STATUS_MESSAGE_MAX_LENGTH),
      metadata: trailersOf(error),
      expected: error.code !== 'INTERNAL',
    };
  }
  if (isGrpcStatusError(error)) {
    return {
      code: error.code,
      details: truncateText(error.details ?? error.message, STATUS_MESSAGE_MAX_LENGTH),
      metadata: trailersOf(error),
      expected: error.code !== status.INTERNAL && error.code !== status.UNKNOWN,
    };
  }
  return {
    code: status.INTERNAL,
    details: 'internal error; the server log has the cause',
    metadata: trailersOf(error),
    expected: false,
  };
}

/** The canonical name of a status code, e.g. `INVALID_ARGUMENT`, for labels and logs. */
export function statusName(code: status): string {
  return status[code] ?? String(code);
}
