/**
 * grpc-js says a service cannot be reached as "No connection established. Last error: Error:
 * connect ECONNREFUSED 127.0.0.1:8000. Resolution note: "; the CLI says which service, where,
 * and what to check, keeping the status (UNAVAILABLE, exit 1) and the original as the cause.
 */
import { isSightlineError, UnavailableError } from '@sightline/errors';
import type { ResolvedConnection } from './connection.js';

const NO_CONNECTION =
  /^No connection established\.(?: Last error: (?:Error: )?(.*?)\.?(?: Resolution note:.*)?)?$/s;

/** OpenSSL's `...:SSL routines:func:reason:file:line:...` reduced to `TLS: reason`. */
const OPENSSL_REASON = /SSL routines:[^:]*:([^:]+):/;

/** The first line of grpc-js's last error, OpenSSL's part reduced to its reason. */
export function shortReason(lastError: string): string {
  const firstLine = lastError.trim().split('\n')[0]!.trim();
  const ssl = OPENSSL_REASON.exec(firstLine);
  return ssl ? `TLS: ${ssl[1]!.trim()}` : firstLine;
}

/** The error to report: an unreachable service named with its address, anything else as it is. */
export function explainUnreachable(error: unknown, connection: ResolvedConnection | undefined): unknown {
  if (connection === undefined || !isSightlineError(error) || error.code !== 'UNAVAILABLE') return error;
  const match = NO_CONNECTION.exec(error.message.trim());
  if (!match) return error;
  const reason = match[1] ? shortReason(match[1]) : '';
  const hint = reason.startsWith('TLS:')
    ? 'check --tls-ca, --tls-cert, --tls-key and --tls-server-name'
    : 'is it running? (sightline start runs the local stack)';
  return new UnavailableError(
    `cannot reach the ${connection.service} at ${connection.address}${reason ? ` (${reason})` : ''}; ${hint}`,
    { cause: error },
  );
}
