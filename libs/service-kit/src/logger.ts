/**
 * Structured JSON logs with pino: one line per event, the service name on every line, and
 * errors serialised with their cause chain.
 */
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/** Builds the logger of one service; `destination` lets tests capture lines. */
export function createLogger(options: {
  readonly service: string;
  readonly level: string;
  readonly destination?: NodeJS.WritableStream;
}): Logger {
  const config = {
    level: options.level,
    base: { service: options.service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  // Synchronous writes to stdout: pino's default destination buffers asynchronously, and the
  // lines written just before process.exit (the end of a graceful shutdown, a fatal error)
  // were lost. Services log per event, not per request, so the cost is small.
  return pino(
    config,
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true }),
  );
}
