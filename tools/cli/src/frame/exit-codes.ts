/**
 * The exit codes scripts can rely on. Every command ends with one of these three; nothing
 * else is used, so `$? -eq 2` always means "fix the command line".
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

/** One of the three exit codes. */
export type ExitCode = typeof EXIT_OK | typeof EXIT_SERVER_ERROR | typeof EXIT_USAGE_ERROR;
