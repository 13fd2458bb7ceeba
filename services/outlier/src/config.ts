/**
 * The outlier service's settings: the shared server settings plus its own, each settable by
 * flag (`--events-dir`) or environment (`SIGHTLINE_EVENTS_DIR`). This module loads no
 * domain code, so the CLI can read the settings (and `--help`) cheaply.
 */
import { eventStreamSettings, resultLogSettings, serverConfigSchema } from '@sightline/service-kit';

export {
  DEFAULT_DEDUPLICATION_WINDOW,
  DEFAULT_EVENT_RETRY_AFTER_SECONDS,
  DEFAULT_EVENTS_MAX_BODY_BYTES,
  DEFAULT_MAX_HISTORY_EVENTS,
  DEFAULT_MAX_HISTORY_RANGE_MS,
} from '@sightline/service-kit';

import { z } from 'zod';

/** Default ports of the outlier service (see DESIGN.md). */
export const OUTLIER_PORTS = { grpcPort: 8002, httpPort: 9002 } as const;
/** Default data directory: detector records, fitted versions, running statistics, the outlier event log. */
export const DEFAULT_OUTLIER_DATA_DIR = '.data/outlier';
/** Default event file store read by ScoreHistory and Fit from events: the local stack router's. */
export const DEFAULT_OUTLIER_EVENTS_DIR = '.data/router/events';
/** Default most reference rows one Fit takes (contract: 1,000,000). */
export const DEFAULT_MAX_REFERENCE_ROWS = 1_000_000;
/** Default most rows one Score, Predict or InferThreshold call takes. */
export const DEFAULT_MAX_ROWS_PER_CALL = 1_000_000;
/**
 * Default upper bound of an autoencoder's training time, in seconds (the contract's
 * default budget, 600; a config's max_training_seconds above it is INVALID_ARGUMENT).
 */
export const DEFAULT_MAX_TRAINING_SECONDS = 600;
/** Default most InferenceEvents waiting in the POST /events queue before it answers 429. */
export const DEFAULT_EVENT_QUEUE_CAPACITY = 100_000;
/** Default most OutlierEvents written by one group commit (one write and one fdatasync). */
export const DEFAULT_OUTLIER_EVENTS_COMMIT_BATCH = 8192;
/** Default timeout of one POST to --outlier-event-sink-url, in ms. */
export const DEFAULT_OUTLIER_EVENT_SINK_TIMEOUT_MS = 5_000;
/** Default most OutlierEvents waiting to be sent to the sink; more are dropped and counted. */
export const DEFAULT_OUTLIER_EVENT_SINK_QUEUE = 10_000;
/**
 * Default interval in ms at which Mahalanobis running statistics updated from the live
 * stream are saved (contract: "at most every few seconds"); a kill -9 loses at most this
 * much of the live updates, never a Predict's (saved before it answers).
 */
export const DEFAULT_RUNNING_SAVE_INTERVAL_MS = 5_000;

const positiveInt = () => z.coerce.number().int().positive();
const outlierEventLogSettings = resultLogSettings('OutlierEvents', '--outlier-events');

/** The outlier service's settings: the shared server settings and its own (flags, SIGHTLINE_* variables). */
export const outlierConfigSchema = serverConfigSchema(OUTLIER_PORTS).extend({
  ...eventStreamSettings({ eventQueueCapacity: DEFAULT_EVENT_QUEUE_CAPACITY }),
  dataDir: z
    .string()
    .min(1)
    .default(DEFAULT_OUTLIER_DATA_DIR)
    .describe(
      'directory of detector records, fitted versions (every one), running statistics and the outlier event log',
    ),
  eventsDir: z
    .string()
    .min(1)
    .default(DEFAULT_OUTLIER_EVENTS_DIR)
    .describe(
      "event file store read (never written) by ScoreHistory and Fit from events: the router's <data-dir>/events",
    ),
  maxReferenceRows: positiveInt()
    .default(DEFAULT_MAX_REFERENCE_ROWS)
    .describe('most reference rows one Fit takes; more is RESOURCE_EXHAUSTED'),
  maxRowsPerCall: positiveInt()
    .default(DEFAULT_MAX_ROWS_PER_CALL)
    .describe('most rows one Score, Predict or InferThreshold takes; more is RESOURCE_EXHAUSTED'),
  maxTrainingSeconds: z.coerce
    .number()
    .positive()
    .default(DEFAULT_MAX_TRAINING_SECONDS)
    .describe(
      "longest autoencoder training, in seconds: a config's max_training_seconds above it is INVALID_ARGUMENT, and unset it is the budget",
    ),
  device: z
    .enum(['auto', 'cpu', 'gpu'])
    .default('auto')
    .describe(
      'where the autoencoder trains and scores: auto takes the GPU where tfjs-node-gpu loads and one is present, cpu never does, gpu must',
    ),
  outlierEventsCommitBatch: positiveInt()
    .default(DEFAULT_OUTLIER_EVENTS_COMMIT_BATCH)
    .describe('most OutlierEvents written by one group commit (one write and one fdatasync)'),
  outlierEventsSegmentBytes: outlierEventLogSettings.segmentBytes,
  outlierEventsRetentionBytes: outlierEventLogSettings.retentionBytes,
  outlierEventsRetentionMs: outlierEventLogSettings.retentionMs,
  outlierEventSinkUrl: z
    .string()
    .url()
    .optional()
    .describe('POST every OutlierEvent as a CloudEvent (type io.sightline.outlier, binary mode) to this URL'),
  outlierEventSinkTimeoutMs: positiveInt()
    .default(DEFAULT_OUTLIER_EVENT_SINK_TIMEOUT_MS)
    .describe('timeout of one POST to --outlier-event-sink-url, in ms'),
  outlierEventSinkQueue: positiveInt()
    .default(DEFAULT_OUTLIER_EVENT_SINK_QUEUE)
    .describe('OutlierEvents waiting for --outlier-event-sink-url; more are dropped and counted'),
  runningSaveIntervalMs: positiveInt()
    .default(DEFAULT_RUNNING_SAVE_INTERVAL_MS)
    .describe(
      'interval in ms at which Mahalanobis statistics updated from the live stream (update_from_live) are saved; a kill -9 loses at most this much of them',
    ),
});

/** The resolved settings. */
export type OutlierConfig = z.output<typeof outlierConfigSchema>;
