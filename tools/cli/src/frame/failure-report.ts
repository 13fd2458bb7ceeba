/**
 * What the CLI prints and which code it exits with when a command fails: one sentence on
 * stderr, never a stack trace for a user's mistake or a server's answer. Only an error
 * nobody classified (a bug in the CLI) shows its stack, and only with SIGHTLINE_DEBUG=1.
 */

import { GRPC_STATUS_NAMES, isSightlineError, type SightlineError } from '@sightline/errors';
import { traceIdOf } from '@sightline/sdk';
import { CommanderError } from 'commander';
import {
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_SERVER_ERROR,
  EXIT_USAGE_ERROR,
  type ExitCode,
} from './exit-codes.js';
import { InterruptedError, UsageError } from './usage-error.js';

/** How a failure is reported. */
export interface FailureReport {
  readonly exitCode: ExitCode;
  /** The line for stderr (without the `sightline: ` prefix); empty when already printed. */
  readonly message: string;
}

/** A grpc-js `ServiceError`'s shape, read without depending on grpc-js types. */
interface StatusLike {
  readonly code: number;
  readonly details: string;
}

function isStatusLike(value: unknown): value is StatusLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'number' &&
    typeof (value as { details?: unknown }).details === 'string'
  );
}

/** True when the error, or an error it wraps, is a gRPC status a server sent. */
function cameFromServer(error: unknown): boolean {
  for (let current = error, depth = 0; current !== undefined && depth < 8; depth += 1) {
    if (isStatusLike(current)) return true;
    current = current instanceof Error ? current.cause : undefined;
  }
  return false;
}

/**
 * A Sightline error the SDK raised before sending anything (it refused an argument the CLI
 * passed on) is the user's mistake; everything else of the family is a service's answer.
 */
function isLocalRefusal(error: SightlineError): boolean {
  return error.code === 'INVALID_ARGUMENT' && !cameFromServer(error);
}

/**
 * Classifies a thrown value: a {@link UsageError} or a commander parse error exits 2; a
 * service's status (the SDK's `SightlineError` family, or a raw gRPC status) exits 1 and
 * prints `CODE: sentence` (and the request's trace id when the router answered one); anything else is a CLI bug, exits 1 and says so.
 *
 * @param debug - when true, an unclassified error's stack follows its message.
 */
export function describeFailure(error: unknown, debug = false): FailureReport {
  if (error instanceof UsageError) return { exitCode: EXIT_USAGE_ERROR, message: error.message };
  if (error instanceof InterruptedError) return { exitCode: EXIT_INTERRUPTED, message: '' };
  if (error instanceof CommanderError) {
    // commander printed its own message (or the help) already.
    return { exitCode: error.exitCode === 0 ? EXIT_OK : EXIT_USAGE_ERROR, message: '' };
  }
  if (isSightlineError(error)) {
    if (isLocalRefusal(error)) return { exitCode: EXIT_USAGE_ERROR, message: error.message };
    // The router answers a failed request's trace id in a trailer: `sightline traces show` reads it.
    const traceId = traceIdOf(error);
    const trace = traceId === undefined ? '' : ` (trace ${traceId})`;
    return { exitCode: EXIT_SERVER_ERROR, message: `${error.code}: ${error.message}${trace}` };
  }
  if (isStatusLike(error)) {
    const name = GRPC_STATUS_NAMES[error.code] ?? `status ${error.code}`;
    return { exitCode: EXIT_SERVER_ERROR, message: `${name}: ${error.details}` };
  }
  const message = error instanceof Error ? error.message : String(error);
  const stack = debug && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  return {
    exitCode: EXIT_SERVER_ERROR,
    message: `internal error: ${message}${debug ? stack : ' (set SIGHTLINE_DEBUG=1 to see where)'}`,
  };
}
