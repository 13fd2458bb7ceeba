/**
 * PostgreSQL's lost connections as the service's UNAVAILABLE: while the database is down,
 * restarting or refusing connections, a caller may retry (and the service recovers by itself,
 * the pool reconnecting), so that is what it is told instead of an internal error. The
 * sentence never repeats the connection string (it may hold a password).
 */
import { SightlineError, UnavailableError } from '@sightline/errors';

/** Socket errors of a server that is down, unreachable or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that cannot serve now: admin_shutdown, crash_shutdown,
 * cannot_connect_now, too_many_connections, and class 08 (connection exception).
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** `pg`'s own messages for a connection it lost or could not open in time. */
const LOST_CONNECTION =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error)/;

/** Whether `error` says the database cannot be reached now. */
export function isPostgresUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (
    typeof code === 'string' &&
    (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code) || code.startsWith('08'))
  )
    return true;
  return typeof message === 'string' && LOST_CONNECTION.test(message);
}

/** The error to throw for `error` raised by the `pg` client. */
export function mapPostgresError(error: unknown): unknown {
  if (error instanceof SightlineError || !isPostgresUnavailable(error)) return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const why = typeof code === 'string' ? code : String(message);
  return new UnavailableError(
    `metrics store: PostgreSQL cannot be reached now (${why}); the service reconnects by itself, retry shortly.`,
    { cause: error },
  );
}
