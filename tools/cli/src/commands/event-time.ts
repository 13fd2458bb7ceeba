/**
 * `events query --from/--to` values: an ISO-8601 time (`2026-12-03T12:00:00Z`, a date
 * alone is midnight UTC, a time without a zone the machine's local time, as `Date` reads
 * them), `now`, or a duration ago (`90s`, `15m`, `2h`, `7d`).
 */
import { UsageError } from '../frame/usage-error.js';

const AGO = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** An ISO-8601 date, optionally with a time and zone: what `Date.parse` reads reliably. */
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i;

/** The first and last instants a protobuf Timestamp holds (years 1-9999), in ms. */
const TIMESTAMP_MIN_MS = -62_135_596_800_000;
const TIMESTAMP_MAX_MS = 253_402_300_799_999;

/**
 * `ms`, when the request's Timestamp can carry it: past these bounds the SDK could not
 * encode the call (`99999999999d` failed as INTERNAL, exit 1, instead of a usage error).
 */
function inTimestampRange(ms: number, text: string, flag: string): number {
  if (ms >= TIMESTAMP_MIN_MS && ms <= TIMESTAMP_MAX_MS) return ms;
  throw new UsageError(`${flag}: ${JSON.stringify(text)} is outside the years 1-9999 an event time can name`);
}

/**
 * Whether the text's `YYYY-MM-DD` names a day of its month: Date reads `2026-02-30` as
 * March 2 without a word, which would query another day than the one written.
 */
function dayExists(value: string): boolean {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  // Date.UTC reads years 0-99 as 1900-1999, whose leap years within 1-99 fall alike.
  return (
    month >= 1 && month <= 12 && day >= 1 && new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day
  );
}

/**
 * Parses a time flag into ms since the epoch, `nowMs` being the present.
 *
 * @throws UsageError naming the flag for anything else.
 */
export function parseEventTime(text: string, flag: string, nowMs: number): number {
  const value = text.trim();
  if (value === 'now') return nowMs;
  const ago = AGO.exec(value);
  if (ago) return inTimestampRange(nowMs - Math.round(Number(ago[1]) * (UNIT_MS[ago[2]!] ?? 0)), text, flag);
  if (ISO.test(value) && dayExists(value)) {
    const ms = Date.parse(value.replace(' ', 'T'));
    if (Number.isFinite(ms)) return inTimestampRange(ms, text, flag);
  }
  throw new UsageError(
    `${flag}: expected an ISO-8601 time (2026-12-03T12:00:00Z), now, or a duration ago (15m, 2h, 7d); got ${JSON.stringify(text)}`,
  );
}
