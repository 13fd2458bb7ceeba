/**
 * A downstream gRPC failure as a domain error: the status code is kept (so retries,
 * breakers and the caller's status see the upstream's code), the details become the message.
 */
import { type ServiceError, status } from '@grpc/grpc-js';
import { ERROR_CODES, type ErrorCode, SightlineError } from '@sightline/errors';
import { statusName } from '@sightline/service-kit';

/**
 * Upstream codes kept as they are; any other becomes INTERNAL. An upstream refusing the
 * router's own credentials (UNAUTHENTICATED, PERMISSION_DENIED) is the router's problem, not
 * the caller's, so those are not passed on as if the caller's token were at fault.
 */
const KEPT_CODES: ReadonlySet<string> = new Set(
  ERROR_CODES.filter((code) => code !== 'UNAUTHENTICATED' && code !== 'PERMISSION_DENIED'),
);

/** Converts a grpc-js error (or anything else thrown by a call) to a SightlineError. */
export function fromServiceError(error: unknown): SightlineError {
  const e = error as Partial<ServiceError>;
  if (typeof e?.code === 'number') {
    const name = statusName(e.code);
    const code: ErrorCode = KEPT_CODES.has(name) ? (name as ErrorCode) : 'INTERNAL';
    const details = e.details || e.message || name;
    const prefix = code === 'INTERNAL' && e.code !== status.INTERNAL ? `${name}: ` : '';
    return new SightlineError(code, `${prefix}${details}`, { cause: error });
  }
  return new SightlineError('INTERNAL', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
}
