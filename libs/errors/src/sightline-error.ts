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
  'INTERNAL',
] as const;

/** Error codes, named after the gRPC status each maps to. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The base class: a code, a sentence for the caller, and an optional cause for the log. */
export class SightlineError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input: the message names the field and the rule it broke. */
export class InvalidArgumentError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INVALID_ARGUMENT', message, options);
  }
}

/** An unknown model, version, graph or detector. */
export class NotFoundError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
  }
}

/** A thing that exists already (applying a graph under a taken name without replace). */
export class AlreadyExistsError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ALREADY_EXISTS', message, options);
  }
}

/** The system is not in the state the call needs (a detector not fitted: says what to call). */
export class FailedPreconditionError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('FAILED_PRECONDITION', message, options);
  }
}

/** A size or queue limit was hit; the message names the limit and its configured value. */
export class ResourceExhaustedError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RESOURCE_EXHAUSTED', message, options);
  }
}

/** A dependency is down or a model is not loaded; the caller may retry. */
export class UnavailableError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAVAILABLE', message, options);
  }
}

/** The caller's time budget is spent. */
export class DeadlineExceededError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DEADLINE_EXCEEDED', message, options);
  }
}

/** The caller went away. */
export class CancelledError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CANCELLED', message, options);
  }
}

/** A feature that is deliberately not supported; the message says what to use instead. */
export class UnimplementedError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('UNIMPLEMENTED', message, options);
  }
}

/** A bug or an unexpected runtime failure; the cause is logged, the message stays short. */
export class InternalError extends SightlineError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('INTERNAL', message, options);
  }
}

/** True for any error of this family. */
export function isSightlineError(error: unknown): error is SightlineError {
  return error instanceof SightlineError;
}
