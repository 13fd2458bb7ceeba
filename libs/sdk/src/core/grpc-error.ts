/** grpc-js failures -> the SightlineError family, once, where every call ends. */
import type { ServiceError } from '@grpc/grpc-js';
import { errorFromStatus, InternalError, isSightlineError, type SightlineError } from '@sightline/errors';

/** The trailer the router answers a failed request's trace id in. */
export const TRACE_ID_TRAILER = 'sightline-trace-id';

/** True for the error a grpc-js call fails with (it carries a numeric status). */
export function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

/**
 * Any failure of a call as a family error: a gRPC status by its code with the server's
 * sentence (the ServiceError kept as `cause`, trailers and all); a family error as is;
 * anything else as INTERNAL.
 */
export function toSightlineError(error: unknown): SightlineError {
  if (isSightlineError(error)) return error;
  if (isServiceError(error)) {
    const details = error.details ?? error.message;
    return errorFromStatus(error.code, details + messageLimitHint(error.code, details), { cause: error });
  }
  return new InternalError(error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * The trace id the server answered a failed call with (the router's `sightline-trace-id`
 * trailer), so a failure leads to its trace as a success does through its
 * `sightline.trace_id` parameter. Undefined when the server sent none.
 */
export function traceIdOf(error: unknown): string | undefined {
  const cause = isSightlineError(error) ? error.cause : error;
  if (!isServiceError(cause)) return undefined;
  const value = cause.metadata?.get(TRACE_ID_TRAILER)[0];
  return value === undefined ? undefined : value.toString();
}

/** gRPC's RESOURCE_EXHAUSTED status code. */
const RESOURCE_EXHAUSTED = 8;

/**
 * grpc-js's sentences for a message over a size limit, with the settings that raise it: its
 * own sentence names only the numbers, so a user cannot tell which side refused or what to
 * change (the servers' flags default to 64 MiB, as the SDK's channel options do:
 * DEFAULT_MAX_MESSAGE_BYTES).
 */
const MESSAGE_LIMIT_HINTS: readonly (readonly [RegExp, string])[] = [
  [
    /^Attempted to send message with a size larger than/,
    "; this client's limit: channelOptions 'grpc.max_send_message_length' (the server's own is --max-receive-message-bytes, SIGHTLINE_MAX_RECEIVE_MESSAGE_BYTES)",
  ],
  [
    /^Received message (larger than max|that decompresses to a size larger than)/,
    "; raise the server's --max-receive-message-bytes (SIGHTLINE_MAX_RECEIVE_MESSAGE_BYTES) for a request, or for an answer this client's channelOptions 'grpc.max_receive_message_length'",
  ],
  [
    /^Sent message larger than max/,
    "; the server's answer is over its --max-send-message-bytes (SIGHTLINE_MAX_SEND_MESSAGE_BYTES)",
  ],
];

/** The settings that raise the size limit a RESOURCE_EXHAUSTED sentence is about, or ''. */
export function messageLimitHint(code: number, details: string): string {
  if (code !== RESOURCE_EXHAUSTED) return '';
  for (const [pattern, hint] of MESSAGE_LIMIT_HINTS) if (pattern.test(details)) return hint;
  return '';
}
