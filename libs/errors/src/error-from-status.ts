/**
 * A gRPC status a client received -> the error family, so a caller of the SDK (or a
 * service reading an upstream's answer) catches the same classes the servers throw.
 * Works on the numeric status alone, without depending on a gRPC library.
 */
import { GRPC_STATUS_NAMES } from './error-description.js';
import {
  AlreadyExistsError,
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  type SightlineError,
  type SightlineErrorOptions,
  UnauthenticatedError,
  UnavailableError,
  UnimplementedError,
} from './sightline-error.js';

type ErrorClass = new (message: string, options?: SightlineErrorOptions) => SightlineError;

/** The class for each gRPC status number the family has a code for. */
const CLASS_BY_STATUS: Readonly<Record<number, ErrorClass>> = {
  1: CancelledError,
  3: InvalidArgumentError,
  4: DeadlineExceededError,
  5: NotFoundError,
  6: AlreadyExistsError,
  7: PermissionDeniedError,
  8: ResourceExhaustedError,
  9: FailedPreconditionError,
  12: UnimplementedError,
  13: InternalError,
  14: UnavailableError,
  16: UnauthenticatedError,
};

/**
 * The longest prefix read as a field name, in characters: a field path or a quoted name
 * (names are quoted at 64 characters by `quoteName`, with room for the path around them).
 */
const FIELD_PREFIX_MAX_LENGTH = 200;

/**
 * `field: rule` or `kind "name": rule`, the shape of every sentence the servers write
 * (`page_size: at most 1000, got 5000`, `input "x": expected 4 elements per row, got 5`,
 * `node "ab": splitter weights must sum to 100`).
 */
const FIELD_PREFIX = /^([a-z][a-z0-9_]*(?:[.[\]][a-z0-9_\]]*)*(?: "(?:[^"\\]|\\.)*")?): /;

/**
 * The field a server's sentence names at its start, or undefined when it names none:
 * `page_size` for `page_size: at most 1000, got 5000`, `input "x"` for
 * `input "x": expected 4 elements per row, got 5`.
 */
export function fieldNamedIn(sentence: string): string | undefined {
  const match = FIELD_PREFIX.exec(sentence.slice(0, FIELD_PREFIX_MAX_LENGTH + 2));
  return match?.[1];
}

/**
 * The family error for a gRPC status: the class named after the status, the server's
 * sentence as its message and the field that sentence names. Statuses the family has no
 * code for (UNKNOWN, ABORTED, OUT_OF_RANGE, DATA_LOSS, or a number outside the table) are
 * an `InternalError` whose message starts with the status's name, so nothing is lost.
 *
 * @param status - the numeric gRPC status (google.rpc.Code); OK (0) is not an error and is
 *   answered as INTERNAL.
 * @param details - the server's status message (grpc-message).
 */
export function errorFromStatus(
  status: number,
  details: string,
  options: { cause?: unknown } = {},
): SightlineError {
  const ErrorForStatus = CLASS_BY_STATUS[status];
  const field = fieldNamedIn(details);
  const errorOptions: SightlineErrorOptions = {
    cause: options.cause,
    ...(field === undefined ? {} : { field }),
  };
  if (ErrorForStatus !== undefined) return new ErrorForStatus(details, errorOptions);
  const name = GRPC_STATUS_NAMES[status] ?? `status ${status}`;
  return new InternalError(details === '' ? name : `${name}: ${details}`, errorOptions);
}
