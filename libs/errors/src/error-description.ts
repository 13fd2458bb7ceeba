import { ERROR_CODES, type ErrorCode, isSightlineError } from './sightline-error.js';

/**
 * gRPC status names by number (google.rpc.Code), to read an error that carries a numeric
 * status, such as a grpc-js `ServiceError`, without depending on a gRPC library here.
 */
export const GRPC_STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

const FAMILY_CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * The code of any thrown value, for status attributes, metrics labels and events: a
 * Sightline error's own code; an error carrying a numeric gRPC status (a grpc-js
 * `ServiceError`) by that status's name; an `AbortError` as CANCELLED; anything else,
 * and gRPC statuses outside the family (UNKNOWN, ABORTED, ...), as INTERNAL, because an
 * error nobody classified is a bug to look at, not a caller's mistake.
 */
export function errorCode(error: unknown): ErrorCode {
  if (isSightlineError(error)) return error.code;
  if (typeof error === 'object' && error !== null) {
    const code: unknown = (error as { code?: unknown }).code;
    if (typeof code === 'number') {
      const name = GRPC_STATUS_NAMES[code];
      return name !== undefined && FAMILY_CODES.has(name) ? (name as ErrorCode) : 'INTERNAL';
    }
    if (error instanceof Error && error.name === 'AbortError') return 'CANCELLED';
  }
  return 'INTERNAL';
}

/** The message of any thrown value: an Error's message, anything else as a string. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
