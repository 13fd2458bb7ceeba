import type { EventLogger } from '../event-logger.js';

/** Default size at which the active segment is sealed and a new one started: 64 MiB. */
export const DEFAULT_SEGMENT_MAX_BYTES = 64 * 1024 * 1024;
/** Default age at which the active segment is sealed: 1 hour. */
export const DEFAULT_SEGMENT_MAX_AGE_MS = 60 * 60 * 1000;
/** Default retention by age: segments whose newest event is older are deleted. 7 days. */
export const DEFAULT_RETENTION_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;
/** Default retention by size: oldest sealed segments are deleted past this total. 10 GiB. */
export const DEFAULT_RETENTION_MAX_BYTES = 10 * 1024 * 1024 * 1024;
/** Default period of the retention and age-rotation check: 1 minute. */
export const DEFAULT_RETENTION_CHECK_INTERVAL_MS = 60 * 1000;

/** Options of {@link FileEventStore}; everything but `directory` has a default. */
export interface FileEventStoreOptions {
  /** The directory holding the segments (created if missing). */
  readonly directory: string;
  /** Seal the active segment when an append would take it past this size. Default 64 MiB. */
  readonly segmentMaxBytes?: number;
  /** Seal the active segment once it is this old. Default 1 hour. */
  readonly segmentMaxAgeMs?: number;
  /** Delete sealed segments whose newest event is older than this. Default 7 days. */
  readonly retentionMaxAgeMs?: number;
  /** Delete the oldest sealed segments while all segments together exceed this. Default 10 GiB. */
  readonly retentionMaxBytes?: number;
  /** How often retention and age rotation run in the background; 0 disables the timer. Default 60 s. */
  readonly retentionCheckIntervalMs?: number;
  /** fsync after every append: survives power loss, costs throughput. Default false (survives process crashes). */
  readonly fsync?: boolean;
  /**
   * Refuse `append` and `applyRetention`: for detectors, the metrics service and tools
   * that read a directory another process writes. Default false (a store that never
   * appends writes nothing either; this makes the intent explicit and enforced).
   */
  readonly readOnly?: boolean;
  /** The clock, in ms since the epoch (tests pass a fake one). Default `Date.now`. */
  readonly now?: () => number;
  /** Where corrupt records and recovered torn tails are reported. */
  readonly logger: EventLogger;
}

/** {@link FileEventStoreOptions} with every default filled in. */
export type ResolvedFileEventStoreOptions = Required<FileEventStoreOptions>;

/** Fills in the defaults once. */
export function resolveFileEventStoreOptions(options: FileEventStoreOptions): ResolvedFileEventStoreOptions {
  return Object.freeze({
    directory: options.directory,
    segmentMaxBytes: options.segmentMaxBytes ?? DEFAULT_SEGMENT_MAX_BYTES,
    segmentMaxAgeMs: options.segmentMaxAgeMs ?? DEFAULT_SEGMENT_MAX_AGE_MS,
    retentionMaxAgeMs: options.retentionMaxAgeMs ?? DEFAULT_RETENTION_MAX_AGE_MS,
    retentionMaxBytes: options.retentionMaxBytes ?? DEFAULT_RETENTION_MAX_BYTES,
    retentionCheckIntervalMs: options.retentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS,
    fsync: options.fsync ?? false,
    readOnly: options.readOnly ?? false,
    now: options.now ?? Date.now,
    logger: options.logger,
  });
}
