/**
 * `--timeout` values: a number with a unit (`500ms`, `30s`, `2m`, `1h`); a bare number is
 * seconds, as kubectl's `--request-timeout` reads it.
 */
import { UsageError } from './usage-error.js';

/** The longest `--timeout` accepted: one day, in ms. */
export const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/**
 * Parses a duration for `flag` into whole milliseconds (at least 1).
 *
 * @throws UsageError naming the flag for anything else, zero, or more than a day.
 */
export function parseDurationMs(text: string, flag: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new UsageError(
      `${flag}: expected a duration such as 500ms, 30s or 2m, got ${JSON.stringify(text)}`,
    );
  }
  const ms = Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 's'] ?? 1000));
  if (ms < 1) throw new UsageError(`${flag}: must be at least 1ms, got ${JSON.stringify(text)}`);
  if (ms > MAX_TIMEOUT_MS) throw new UsageError(`${flag}: must be at most 24h, got ${JSON.stringify(text)}`);
  return ms;
}
