/**
 * A user mistake on the command line: a bad flag value, an unreadable or malformed input
 * file, a `k=v` without `=`. Its message is one sentence that names the flag (or file) and
 * the rule, and the CLI exits with {@link EXIT_USAGE_ERROR} without a stack trace.
 */
import { EXIT_USAGE_ERROR } from './exit-codes.js';

/** A mistake in the command line; the message names the flag and the rule. */
export class UsageError extends Error {
  /** Always {@link EXIT_USAGE_ERROR}. */
  readonly exitCode = EXIT_USAGE_ERROR;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
  }
}

/** A command the user interrupted (Ctrl-C) while it waited on a call; exits 130 silently. */
export class InterruptedError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('interrupted', options);
    this.name = 'InterruptedError';
  }
}
