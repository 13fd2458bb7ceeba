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
  if (isServiceError(error))
    return errorFromStatus(error.code, error.details ?? error.message, { cause: error });
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
