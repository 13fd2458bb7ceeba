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

/** Default size at which a result log starts a new segment file, in bytes (libs/events' 64 MiB, written out for --help). */
export const DEFAULT_RESULT_LOG_SEGMENT_BYTES = 64 * 1024 * 1024;
/** Default bytes a result log keeps before deleting its oldest segments (libs/events' 1 GiB). */
export const DEFAULT_RESULT_LOG_RETENTION_BYTES = 1024 * 1024 * 1024;

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

/** The limits of a service's result log (libs/events' JsonlRecordLog) that its config names. */
export interface ResultLogLimits {
  readonly segmentBytes: number;
  readonly retentionBytes: number;
  readonly retentionMs: number;
}

/**
 * The three settings of a service's result log (DriftEvents, OutlierEvents), to spread into
 * its schema under its own names (`outlierEventsSegmentBytes`, ...): `what` names the records
 * and `flag` the flag prefix (`--outlier-events`) in the descriptions.
 */
export function resultLogSettings(what: string, flag: string) {
  return {
    segmentBytes: positiveInt()
      .default(DEFAULT_RESULT_LOG_SEGMENT_BYTES)
      .describe(
        `size in bytes past which the ${what} log starts a new segment file (a commit group is never split)`,
      ),
    retentionBytes: z.coerce
      .number()
      .int()
      .nonnegative()
      .default(DEFAULT_RESULT_LOG_RETENTION_BYTES)
      .describe(
        `bytes of ${what} kept: past it the oldest segments are deleted (the segment being written never is, so the log holds at most this plus ${flag}-segment-bytes); 0 keeps all`,
      ),
    retentionMs: z.coerce
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe(
        `age in ms (since its last write) past which a segment of ${what} is deleted, checked at each commit and at start; 0 keeps any age`,
      ),
  };
}
