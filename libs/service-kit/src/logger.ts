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
  return options.destination ? pino(config, options.destination as pino.DestinationStream) : pino(config);
}
