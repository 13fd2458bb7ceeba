/**
 * The exit codes scripts can rely on. Every command ends with one of these (130 only when
 * the user interrupts it), so `$? -eq 2` always means "fix the command line".
 */

/** The command did what it was asked. */
export const EXIT_OK = 0;
/**
 * A service answered with an error (a gRPC status: NOT_FOUND, UNAVAILABLE, ...), or the CLI
 * itself failed unexpectedly.
 */
export const EXIT_SERVER_ERROR = 1;
/** The command line was wrong: a bad flag, an unreadable input file, a malformed `k=v`. */
export const EXIT_USAGE_ERROR = 2;

/**
 * The user pressed Ctrl-C during a call: the shell's convention for SIGINT (128 + 2), no
 * message. (A command for which Ctrl-C is the normal end, `events tail --follow`, exits 0.)
 */
export const EXIT_INTERRUPTED = 130;

/** One of the exit codes. */
export type ExitCode =
  | typeof EXIT_OK
  | typeof EXIT_SERVER_ERROR
  | typeof EXIT_USAGE_ERROR
  | typeof EXIT_INTERRUPTED;
