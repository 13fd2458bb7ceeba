/**
 * The settings every service that consumes the inference event stream has (drift,
 * outlier): its `POST /events` ingress queue and its reads of stored history, with the
 * same flags, variables, defaults and meaning in each.
 */
import { z } from 'zod';

/** Default seconds a refused POST /events is told to wait (Retry-After). */
export const DEFAULT_EVENT_RETRY_AFTER_SECONDS = 1;
/** Default largest POST /events body, in bytes (libs/events' 4 MiB, written out for --help). */
export const DEFAULT_EVENTS_MAX_BODY_BYTES = 4 * 1024 * 1024;
/** Default event ids remembered to drop duplicate deliveries (a broker's redelivery). */
export const DEFAULT_DEDUPLICATION_WINDOW = 100_000;
/** Default longest ScoreHistory or Fit-from-events time range, in ms (contracts: 31 days). */
export const DEFAULT_MAX_HISTORY_RANGE_MS = 31 * 24 * 3600 * 1000;
/** Default most stored events one page query of ScoreHistory or Fit from events scans. */
export const DEFAULT_MAX_HISTORY_EVENTS = 10_000_000;

const positiveInt = () => z.coerce.number().int().positive();

/** The event-stream settings, to `.extend` a service's schema with; `eventQueueCapacity` is the service's default. */
export function eventStreamSettings(defaults: { readonly eventQueueCapacity: number }) {
  return {
    eventQueueCapacity: positiveInt()
      .default(defaults.eventQueueCapacity)
      .describe(
        'InferenceEvents waiting to be scored from POST /events and the in-process bus; a request that does not fit is answered 429 with Retry-After',
      ),
    eventRetryAfterSeconds: positiveInt()
      .default(DEFAULT_EVENT_RETRY_AFTER_SECONDS)
      .describe('Retry-After, in seconds, of a POST /events answered 429 or 503'),
    eventsMaxBodyBytes: positiveInt()
      .default(DEFAULT_EVENTS_MAX_BODY_BYTES)
      .describe('largest POST /events body, in bytes; larger is 413'),
    deduplicationWindow: positiveInt()
      .default(DEFAULT_DEDUPLICATION_WINDOW)
      .describe('event ids remembered so that a redelivered event (same id) is not scored twice'),
    maxHistoryRangeMs: positiveInt()
      .default(DEFAULT_MAX_HISTORY_RANGE_MS)
      .describe('longest ScoreHistory or Fit-from-events time range, in ms; longer is INVALID_ARGUMENT'),
    maxHistoryEvents: positiveInt()
      .default(DEFAULT_MAX_HISTORY_EVENTS)
      .describe(
        'most stored events one page query of ScoreHistory or Fit from events scans in the file store; more is RESOURCE_EXHAUSTED (narrow the range)',
      ),
  };
}
