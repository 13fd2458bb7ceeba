/**
 * @sightline/errors: the one error family (codes named after gRPC statuses), how work hears
 * that its caller gave up, how any thrown value is named in logs, metrics and events, how
 * caller-supplied names are quoted in messages, and retry backoff. No dependencies; every
 * module defines, this one only re-exports.
 */

export { type BackoffPolicy, backoffCeilingMs, fullJitterBackoffMs } from './backoff.js';
export { QUOTED_NAME_MAX_LENGTH, quoteName, truncateText } from './bounded-text.js';
export { type Cancellation, CancellationSource, cancellationOf, NEVER_CANCELLED } from './cancellation.js';
export { errorCode, errorMessage, GRPC_STATUS_NAMES } from './error-description.js';
export { errorFromStatus, fieldNamedIn } from './error-from-status.js';
export {
  AlreadyExistsError,
  CancelledError,
  DeadlineExceededError,
  ERROR_CODES,
  type ErrorCode,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  isSightlineError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  SightlineError,
  type SightlineErrorOptions,
  UnauthenticatedError,
  UnavailableError,
  UnimplementedError,
} from './sightline-error.js';
