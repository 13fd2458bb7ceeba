/**
 * Sightline's error family. Domain code throws these and knows nothing of gRPC; the
 * service-kit's error interceptor maps `code` to a gRPC status once, at the edge.
 *
 * Messages name the field and the rule, e.g.
 * `input "input": expected 4 elements per row, got 5`.
 */

/** The error codes, named after the gRPC status each maps to. */
export const ERROR_CODES = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
  'RESOURCE_EXHAUSTED',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'CANCELLED',
  'UNIMPLEMENTED',
  'UNAUTHENTICATED',
  'PERMISSION_DENIED',
  'INTERNAL',
] as const;

/** Error codes, named after the gRPC status each maps to. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** What every error of the family may carry besides its code and sentence. */
export interface SightlineErrorOptions {
  /** The underlying failure, for the log (a grpc-js `ServiceError` on the client side). */
  readonly cause?: unknown;
  /**
   * The field the sentence names (`page_size`, `input "x"`, `node "ab"`), where one is named;
   * clients read it to point at the part of their request to fix.
   */
  readonly field?: string;
}

/**
 * The base class: a code, a sentence for the caller, an optional cause for the log and the
 * field the sentence names, if any.
 */
export class SightlineError extends Error {
  /** The field the sentence names, e.g. `input "x"`; undefined when it names none. */
  readonly field: string | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: SightlineErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.field = options?.field;
  }
}

/** Bad input: the message names the field and the rule it broke. */
export class InvalidArgumentError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** An unknown model, version, graph or detector. */
export class NotFoundError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('NOT_FOUND', message, options);
  }
}

/** A thing that exists already (applying a graph under a taken name without replace). */
export class AlreadyExistsError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('ALREADY_EXISTS', message, options);
  }
}

/** The system is not in the state the call needs (a detector not fitted: says what to call). */
export class FailedPreconditionError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('FAILED_PRECONDITION', message, options);
  }
}

/** A size or queue limit was hit; the message names the limit and its configured value. */
export class ResourceExhaustedError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('RESOURCE_EXHAUSTED', message, options);
  }
}

/** A dependency is down or a model is not loaded; the caller may retry. */
export class UnavailableError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('UNAVAILABLE', message, options);
  }
}

/** The caller's time budget is spent. */
export class DeadlineExceededError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('DEADLINE_EXCEEDED', message, options);
  }
}

/** The caller went away. */
export class CancelledError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('CANCELLED', message, options);
  }
}

/** A feature that is deliberately not supported; the message says what to use instead. */
export class UnimplementedError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('UNIMPLEMENTED', message, options);
  }
}

/** The caller is not authenticated (no or a wrong bearer token, answered by a proxy or mesh in front). */
export class UnauthenticatedError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('UNAUTHENTICATED', message, options);
  }
}

/** The caller is authenticated but may not do this. */
export class PermissionDeniedError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('PERMISSION_DENIED', message, options);
  }
}

/** A bug or an unexpected runtime failure; the cause is logged, the message stays short. */
export class InternalError extends SightlineError {
  constructor(message: string, options?: SightlineErrorOptions) {
    super('INTERNAL', message, options);
  }
}

/** True for any error of this family. */
export function isSightlineError(error: unknown): error is SightlineError {
  return error instanceof SightlineError;
}
