/**
 * grpc-js says a service cannot be reached as "No connection established. Last error: Error:
 * connect ECONNREFUSED 127.0.0.1:8000. Resolution note: "; the CLI says which service, where,
 * and what to check, keeping the status (UNAVAILABLE, exit 1) and the original as the cause.
 * Likewise its own deadline ("Deadline exceeded after 1.994s,name resolution: ...,Waiting
 * for LB pick") and a connection lost mid-call ("Connection dropped", also what a keepalive
 * ping unanswered within the SDK's timeout gives, a frozen service): grpc-js's words, not
 * a service's answer.
 */
import { DeadlineExceededError, isSightlineError, UnavailableError } from '@sightline/errors';
import { type ResolvedConnection, serviceLabel } from './connection.js';

/** grpc-js's client-side deadline; a server's DEADLINE_EXCEEDED is its own sentence. */
const CLIENT_DEADLINE = /^Deadline exceeded after [\d.]+s\b/;
const CONNECTION_DROPPED = /^Connection dropped$/;

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

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
  if (connection === undefined || !isSightlineError(error)) return error;
  const where = `the ${serviceLabel(connection.service)} at ${connection.address}`;
  if (error.code === 'DEADLINE_EXCEEDED' && CLIENT_DEADLINE.test(error.message.trim())) {
    return new DeadlineExceededError(
      `${where} did not answer within ${duration(connection.timeoutMs)} (--timeout)`,
      { cause: error },
    );
  }
  if (error.code !== 'UNAVAILABLE') return error;
  if (CONNECTION_DROPPED.test(error.message.trim())) {
    return new UnavailableError(
      `${where} dropped the connection or stopped answering keepalive pings (it stopped, froze or restarted?); call again`,
      {
        cause: error,
      },
    );
  }
  const match = NO_CONNECTION.exec(error.message.trim());
  if (!match) return error;
  const reason = match[1] ? shortReason(match[1]) : '';
  const hint = reason.startsWith('TLS:')
    ? 'check --tls-ca, --tls-cert, --tls-key and --tls-server-name'
    : 'is it running? (sightline start runs the local stack)';
  return new UnavailableError(`cannot reach ${where}${reason ? ` (${reason})` : ''}; ${hint}`, {
    cause: error,
  });
}
