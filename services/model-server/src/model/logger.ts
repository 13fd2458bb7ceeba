/**
 * The logging the model manager and runtimes need: structured fields first, then the
 * sentence (pino's argument order, so a pino logger fits as is; main.ts passes one in).
 */
export interface Logger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** A logger that drops everything, for tests and tools that want silence. */
export const silentLogger: Logger = Object.freeze({
  info() {},
  warn() {},
  error() {},
});
