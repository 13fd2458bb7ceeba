/**
 * Times and time ranges as callers give them (a Date or ms since the epoch), checked and
 * turned into the contract's `TimeRange`: one copy, shared by the drift and outlier clients.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { TimeInput } from '../events/events-client.js';

/**
 * The Date of a time input; undefined for undefined.
 *
 * @throws InvalidArgumentError naming `field` for an invalid time.
 */
export function dateOf(time: TimeInput | undefined, field: string): Date | undefined {
  if (time === undefined) return undefined;
  const date = time instanceof Date ? time : new Date(time);
  if (Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(
      `${field}: must be a valid time (a Date or ms since the epoch), got ${String(time)}`,
      { field },
    );
  }
  return date;
}

/**
 * The contract's range from `from` (included) to `to` (excluded; unset: now).
 *
 * @throws InvalidArgumentError for an invalid time, or `to` not after `from`.
 */
export function rangeOf(from: TimeInput, to: TimeInput | undefined): { startTime?: Date; endTime?: Date } {
  const start = dateOf(from, 'from');
  const end = dateOf(to, 'to');
  if (start !== undefined && end !== undefined && end.getTime() <= start.getTime()) {
    throw new InvalidArgumentError(
      `to: must be after from (${start.toISOString()}), got ${end.toISOString()}`,
      { field: 'to' },
    );
  }
  return { startTime: start, ...(end !== undefined && { endTime: end }) };
}

/**
 * The contract's range of a filter with optional ends (`from` unset: the epoch); undefined
 * when neither end is given (no filter).
 *
 * @throws InvalidArgumentError for an invalid time.
 */
export function filterRangeOf(
  from: TimeInput | undefined,
  to: TimeInput | undefined,
): { startTime: Date; endTime?: Date } | undefined {
  const start = dateOf(from, 'from');
  const end = dateOf(to, 'to');
  if (start === undefined && end === undefined) return undefined;
  return { startTime: start ?? new Date(0), ...(end !== undefined && { endTime: end }) };
}
