/**
 * Structured JSON logs with pino: one line per event, the service name on every line, and
 * errors serialised with their cause chain, bounded in size.
 */
import { truncateText } from '@sightline/errors';
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

/**
 * The most characters of an error's message, stack or gRPC details a log line keeps.
 * Messages can carry what a caller sent (a megabyte tensor name in a dependency's answer);
 * one bad request must not write a megabyte line.
 */
export const LOGGED_ERROR_TEXT_MAX_LENGTH = 4096;

/** pino's error serializer with every long text field cut at {@link LOGGED_ERROR_TEXT_MAX_LENGTH}. */
function boundedErrorSerializer(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (typeof serialized !== 'object' || serialized === null) return serialized;
  const fields = serialized as Record<string, unknown>;
  for (const key of ['message', 'stack', 'details'] as const) {
    const value = fields[key];
    if (typeof value === 'string') fields[key] = truncateText(value, LOGGED_ERROR_TEXT_MAX_LENGTH);
  }
  return fields;
}

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
    serializers: { err: boundedErrorSerializer },
  };
  // Synchronous writes to stdout: pino's default destination buffers asynchronously, and the
  // lines written just before process.exit (the end of a graceful shutdown, a fatal error)
  // were lost. Services log per event, not per request, so the cost is small.
  return pino(
    config,
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ dest: 1, sync: true }),
  );
}
