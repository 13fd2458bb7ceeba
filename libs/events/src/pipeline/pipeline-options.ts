import { InvalidArgumentError } from '@sightline/errors';
import type { EventLogger } from '../event-logger.js';
import type { EventSink } from '../event-sink.js';
import type { PipelineMetricsRecorder } from './pipeline-metrics.js';

/** Default in-memory queue per sink: 10,000 events. */
export const DEFAULT_QUEUE_CAPACITY = 10_000;
/**
 * Default events waiting in memory for the spill writer, per sink: 10,000. Its own
 * setting, not derived from `queueCapacity`: a small memory queue means "spill early",
 * and must not also mean "drop early" (with the buffer tied to a queue of 2, a few hundred
 * events/s outran the spill writer's file writes and most events were dropped).
 */
export const DEFAULT_SPILL_BUFFER_CAPACITY = 10_000;
/** Default most events handed to a sink in one `write`: 500. */
export const DEFAULT_BATCH_SIZE = 500;
/** Default spill byte limit per sink: 1 GiB. */
export const DEFAULT_SPILL_MAX_BYTES = 1024 * 1024 * 1024;
/** Default ceiling of the first retry delay after a sink failure: 100 ms. */
export const DEFAULT_RETRY_INITIAL_MS = 100;
/** Default cap of the retry delay's ceiling: 30 s. */
export const DEFAULT_RETRY_MAX_MS = 30_000;
/**
 * Default longest wait of a partial batch for more events before it is written: 10 ms.
 * At a few thousand events per second this makes writes of tens of events instead of
 * one write (file write, promise chain, thread-pool hop) per event; it bounds how stale
 * a sink's view is, never the request path.
 */
export const DEFAULT_BATCH_LINGER_MS = 10;
/**
 * Default quiet time that ends a spill episode: 10 s. A lane that spills, catches up and
 * spills again within it (a small queue under steady load flips many times a second) is one
 * episode: one line when it starts, one when the lane has stayed caught up this long.
 */
export const DEFAULT_SPILL_EPISODE_QUIET_MS = 10_000;
/** Default time `close` waits for lanes to deliver before persisting the rest to the spill: 5 s. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5_000;

/** Options of {@link EventPipeline}; `sinks`, `spillDirectory` and `logger` are required. */
export interface EventPipelineOptions {
  /** The sinks; each gets every event, through its own queue, spill and retry loop. Names must be unique. */
  readonly sinks: readonly EventSink[];
  /** Root of the spill; each sink spills under `<spillDirectory>/<sink name>/`. */
  readonly spillDirectory: string;
  /** Where sink failures, drops and rejections are logged. */
  readonly logger: EventLogger;
  /** Events held in memory per sink before new ones spill to disk. Default 10,000. */
  readonly queueCapacity?: number;
  /** Most events per `write` call (and per spill file). Default 500. */
  readonly batchSize?: number;
  /**
   * Longest time, in ms, a partial batch waits for more events before it is written; 0
   * writes every batch on the next turn of the event loop. Cut short when a full batch is
   * queued and by `flush`/`close`. Default 10 ms.
   */
  readonly batchLingerMs?: number;
  /**
   * Events waiting in memory to be written to the spill, per sink, before new ones are
   * dropped (only reached if the disk stays slower than the emit rate for this many events).
   * Independent of `queueCapacity`. Default 10,000.
   */
  readonly spillBufferCapacity?: number;
  /** Bytes of spill files per sink; past it events are dropped, counted and logged. Default 1 GiB. */
  readonly spillMaxBytes?: number;
  /**
   * Ceiling of the first retry delay after a failed write, in ms; doubles per failure. Each
   * delay is drawn uniformly below its ceiling (full jitter, `@sightline/errors`). Default 100 ms.
   */
  readonly retryInitialMs?: number;
  /** Largest retry delay ceiling, in ms. Default 30 s. */
  readonly retryMaxMs?: number;
  /** How long `close` lets lanes deliver before persisting what is left to the spill. Default 5 s. */
  readonly closeTimeoutMs?: number;
  /**
   * How long, in ms, a lane must stay caught up (no spilling) before its spill episode is
   * over and logged as such; spilling again sooner continues the episode. Default 10 s.
   */
  readonly spillEpisodeQuietMs?: number;
  /** Receives counter increments (wire it to prom-client). Default: none. */
  readonly metrics?: PipelineMetricsRecorder;
}

/** Options with the defaults filled in. */
export type ResolvedEventPipelineOptions = Required<EventPipelineOptions>;

const NO_METRICS: PipelineMetricsRecorder = { increment() {} };

/** Fills in the defaults once and checks the limits. */
export function resolveEventPipelineOptions(options: EventPipelineOptions): ResolvedEventPipelineOptions {
  const resolved: ResolvedEventPipelineOptions = {
    sinks: options.sinks,
    spillDirectory: options.spillDirectory,
    logger: guardLogger(options.logger),
    queueCapacity: options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY,
    batchSize: options.batchSize ?? DEFAULT_BATCH_SIZE,
    batchLingerMs: options.batchLingerMs ?? DEFAULT_BATCH_LINGER_MS,
    spillBufferCapacity: options.spillBufferCapacity ?? DEFAULT_SPILL_BUFFER_CAPACITY,
    spillMaxBytes: options.spillMaxBytes ?? DEFAULT_SPILL_MAX_BYTES,
    retryInitialMs: options.retryInitialMs ?? DEFAULT_RETRY_INITIAL_MS,
    retryMaxMs: options.retryMaxMs ?? DEFAULT_RETRY_MAX_MS,
    closeTimeoutMs: options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS,
    spillEpisodeQuietMs: options.spillEpisodeQuietMs ?? DEFAULT_SPILL_EPISODE_QUIET_MS,
    metrics: options.metrics ?? NO_METRICS,
  };
  for (const key of ['queueCapacity', 'batchSize', 'spillBufferCapacity'] as const) {
    if (!Number.isInteger(resolved[key]) || resolved[key] < 1) {
      throw new InvalidArgumentError(
        `event pipeline: ${key} must be a positive integer, got ${resolved[key]}`,
      );
    }
  }
  if (!(Number.isFinite(resolved.batchLingerMs) && resolved.batchLingerMs >= 0)) {
    throw new InvalidArgumentError(
      `event pipeline: batchLingerMs must be a non-negative number of milliseconds, got ${resolved.batchLingerMs}`,
    );
  }
  const names = new Set<string>();
  for (const sink of resolved.sinks) {
    if (!/^[A-Za-z0-9_.-]+$/.test(sink.name)) {
      throw new InvalidArgumentError(
        `event pipeline: sink name "${sink.name}" must match [A-Za-z0-9_.-]+ (it names a directory)`,
      );
    }
    if (names.has(sink.name))
      throw new InvalidArgumentError(`event pipeline: sink name "${sink.name}" is used twice`);
    names.add(sink.name);
  }
  return Object.freeze(resolved);
}

/** A logger that swallows its own failures: a broken logger must not break delivery or `emit`. */
function guardLogger(logger: EventLogger): EventLogger {
  return {
    warn(message, fields) {
      try {
        logger.warn(message, fields);
      } catch {}
    },
    error(message, fields) {
      try {
        logger.error(message, fields);
      } catch {}
    },
  };
}
