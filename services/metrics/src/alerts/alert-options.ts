/** The alert evaluator's settings, their defaults and checks. */
import { InvalidArgumentError } from '@sightline/errors';

/** --alert-interval: how often every rule is evaluated (1 minute, the bucket width). */
export const DEFAULT_ALERT_INTERVAL_MS = 60_000;
/** --max-alert-rules: rules kept (RPC and file rules together). */
export const DEFAULT_MAX_ALERT_RULES = 1_000;
/** Shortest --alert-interval: a second (rules read windows; more often only costs CPU). */
export const MIN_ALERT_INTERVAL_MS = 1_000;

export interface AlertOptions {
  /** --alert-interval in ms. */
  readonly intervalMs: number;
  /** --max-alert-rules. */
  readonly maxRules: number;
}

/** Fills in the defaults and checks the bounds, naming the flag of a bad value. */
export function resolveAlertOptions(partial: Partial<AlertOptions> = {}): AlertOptions {
  const intervalMs = partial.intervalMs ?? DEFAULT_ALERT_INTERVAL_MS;
  if (!(Number.isSafeInteger(intervalMs) && intervalMs >= MIN_ALERT_INTERVAL_MS))
    throw new InvalidArgumentError(
      `--alert-interval: must be a whole number of ms of at least ${MIN_ALERT_INTERVAL_MS}, got ${intervalMs}`,
    );
  const maxRules = partial.maxRules ?? DEFAULT_MAX_ALERT_RULES;
  if (!(Number.isSafeInteger(maxRules) && maxRules >= 1))
    throw new InvalidArgumentError(
      `--max-alert-rules: must be a whole number of at least 1, got ${maxRules}`,
    );
  return { intervalMs, maxRules };
}
