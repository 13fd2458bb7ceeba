/**
 * The logging the event pipeline needs, injected so the service decides where it goes
 * (pino, the service-kit logger, a test's array). Fields are structured context.
 */
export interface EventLogger {
  /** Something degraded but nothing was lost (a sink down, events spilled). */
  warn(message: string, fields?: Readonly<Record<string, unknown>>): void;
  /** Something was lost or refused (events dropped at the disk limit, rejected by a sink). */
  error(message: string, fields?: Readonly<Record<string, unknown>>): void;
}

/** A logger that discards everything: for tools and tests that assert on counters instead. */
export const silentEventLogger: EventLogger = Object.freeze({
  warn() {},
  error() {},
});
