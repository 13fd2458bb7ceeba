/**
 * The drift service's settings: the shared server settings plus its own, each settable by
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

/** Default ports of the drift service (see DESIGN.md). */
export const DRIFT_PORTS = { grpcPort: 8003, httpPort: 9003 } as const;
/** Default data directory: fitted detectors, open windows, the drift event log. */
export const DEFAULT_DRIFT_DATA_DIR = '.data/drift';
/**
 * Default event file store read for ScoreHistory and Fit from events: the events folder of
 * the local stack's router (`--data-dir .data/router`, events under `<data-dir>/events`).
 */
export const DEFAULT_DRIFT_EVENTS_DIR = '.data/router/events';
/** Default most reference rows one Fit takes (contract: 1,000,000). */
export const DEFAULT_MAX_REFERENCE_ROWS = 1_000_000;
/** Default most rows a window may be set to close on (BatchWindow.max_rows). */
export const DEFAULT_MAX_WINDOW_ROWS = 100_000;
/**
 * Default rows a tumbling window holds raw (BatchWindow.exact_rows when 0), and the most it
 * may be set to; past it a window is summarised (sketches, counts, a sample) and scored
 * approximately, so memory stays bounded whatever max_rows.
 */
export const DEFAULT_MAX_EXACT_WINDOW_ROWS = 100_000;
/** Default wait of a merging replica for missing window shares after a window's end, in ms. */
export const DEFAULT_MERGE_GRACE_MS = 5_000;
/** Default tries of a replica to deliver one window share to the merger before dropping it. */
export const DEFAULT_MERGE_RETRIES = 5;
/** Default most windows a merging replica holds open waiting for shares (each up to one summary per replica). */
export const DEFAULT_MAX_MERGE_WINDOWS = 1_000;
/** Default most request ids one DriftEvent lists (contract: 1000); the count is always whole. */
export const DEFAULT_MAX_REQUEST_IDS_PER_EVENT = 1000;
/** Default most InferenceEvents waiting in the POST /events queue before it answers 429. */
export const DEFAULT_EVENT_QUEUE_CAPACITY = 50_000;
/** Default interval of the open windows' checkpoint, in ms (what a kill -9 may lose). */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;
/** Default timeout of one POST to --drift-event-sink-url, in ms. */
export const DEFAULT_DRIFT_EVENT_SINK_TIMEOUT_MS = 5_000;
/** Default most DriftEvents waiting to be sent to the sink; more are dropped and counted. */
export const DEFAULT_DRIFT_EVENT_SINK_QUEUE = 10_000;

/**
 * Default interval in ms at which trailing references are checked for a due refit: the
 * schedule's resolution (a refit runs at most this late), far below any sensible interval.
 */
export const DEFAULT_TRAILING_REFIT_CHECK_MS = 10_000;
/**
 * Most scoring threads (--scoring-threads): each is a V8 isolate of ~3 MB plus its heap, and
 * scores are CPU-bound, so threads past the cores only add memory and start-up time (a try of
 * 100,000 spawned 600 threads, 1.76 GB, and never got ready). 64 covers the largest common
 * machines; the default (cores - 1) is capped to it too.
 */
export const MAX_SCORING_THREADS = 64;
/**
 * Default most bootstrap simulations of an online detector (config.*_online.n_bootstraps):
 * the thresholds are simulated on the event loop during Fit and InferThreshold, ~0.4 ms each
 * (a try of 20,000 held /healthz 7.8 s), so this bounds the stall to ~20 s. Five times CVM's
 * default (Alibi's, 10,000); libs/detect's own ceiling (1,000,000) is the CLI's.
 */
export const DEFAULT_MAX_ONLINE_BOOTSTRAPS = 50_000;
/**
 * Default shortest refit interval of a trailing reference (config.trailing_reference.refit_interval),
 * in ms: every refit that changes the reference is a version kept on disk, so a try of 1 ms
 * (a refit at every check, ~8,640 versions a day) is refused. One minute is far below any
 * sensible schedule (hours, days) and above the check's 10 s resolution.
 */
export const DEFAULT_MIN_TRAILING_REFIT_INTERVAL_MS = 60_000;
/** Default most scores waiting for a scoring thread; one more is RESOURCE_EXHAUSTED (RPCs) or dropped (live windows). */
export const DEFAULT_MAX_PENDING_SCORES = 256;

const positiveInt = () => z.coerce.number().int().positive();
const driftEventLogSettings = resultLogSettings('DriftEvents', '--drift-events');

/** The drift service's settings: the shared server settings and its own (flags, SIGHTLINE_* variables). */
export const driftConfigSchema = serverConfigSchema(DRIFT_PORTS).extend({
  ...eventStreamSettings({ eventQueueCapacity: DEFAULT_EVENT_QUEUE_CAPACITY }),
  dataDir: z
    .string()
    .min(1)
    .default(DEFAULT_DRIFT_DATA_DIR)
    .describe('directory of fitted detectors (every version), checkpointed windows and the drift event log'),
  eventsDir: z
    .string()
    .min(1)
    .default(DEFAULT_DRIFT_EVENTS_DIR)
    .describe(
      "event file store read (never written) by ScoreHistory and Fit from events: the router's <data-dir>/events",
    ),
  elasticsearchUrl: z
    .string()
    .url()
    .optional()
    .describe('read stored events from Elasticsearch at this URL instead of --events-dir'),
  attachments: z
    .string()
    .min(1)
    .optional()
    .describe(
      'YAML or JSON file of attachments (detector -> model, version, tensors, window) applied at start',
    ),
  maxReferenceRows: positiveInt()
    .default(DEFAULT_MAX_REFERENCE_ROWS)
    .describe('most reference rows one Fit takes; more is RESOURCE_EXHAUSTED'),
  maxWindowRows: positiveInt()
    .default(DEFAULT_MAX_WINDOW_ROWS)
    .describe('most rows a window (BatchWindow.max_rows) may close on; more is INVALID_ARGUMENT'),
  replicas: positiveInt()
    .default(1)
    .describe(
      'this replica merges live windows: the window shares of this many replicas (itself included) make a window; windows are then aligned on time',
    ),
  mergeInto: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'expected HOST:PORT')
    .optional()
    .describe(
      "send each closed live window, as a summary, to the merging replica's gRPC address (HOST:PORT) instead of scoring it, windows then aligned on time; ignored by the replica whose --replica-id is the host's first label (the merger itself)",
    ),
  replicaId: z
    .string()
    .min(1)
    .optional()
    .describe(
      "this replica's name in the window shares it sends (default: the host name, a StatefulSet pod's)",
    ),
  mergeGraceMs: positiveInt()
    .default(DEFAULT_MERGE_GRACE_MS)
    .describe("how long the merger waits after a window's end for missing shares before scoring what it has"),
  mergeRetries: positiveInt()
    .default(DEFAULT_MERGE_RETRIES)
    .describe(
      'tries to deliver one window share to the merger (backoff doubling from 200 ms) before it is dropped and counted',
    ),
  maxMergeWindows: positiveInt()
    .default(DEFAULT_MAX_MERGE_WINDOWS)
    .describe(
      'most windows the merger holds open waiting for shares; a share opening one more is RESOURCE_EXHAUSTED',
    ),
  maxExactWindowRows: positiveInt()
    .default(DEFAULT_MAX_EXACT_WINDOW_ROWS)
    .describe(
      'rows a tumbling window holds raw by default (BatchWindow.exact_rows 0) and at most; past them it is summarised and scored approximately, the DriftEvent saying so',
    ),
  maxRequestIdsPerEvent: z.coerce
    .number()
    .int()
    .nonnegative()
    .default(DEFAULT_MAX_REQUEST_IDS_PER_EVENT)
    .describe('most request ids one DriftEvent lists (request_id_count is always the whole count)'),
  driftEventsSegmentBytes: driftEventLogSettings.segmentBytes,
  driftEventsRetentionBytes: driftEventLogSettings.retentionBytes,
  driftEventsRetentionMs: driftEventLogSettings.retentionMs,
  driftEventSinkUrl: z
    .string()
    .url()
    .optional()
    .describe('POST every DriftEvent as a CloudEvent (type io.sightline.drift, binary mode) to this URL'),
  driftEventSinkTimeoutMs: positiveInt()
    .default(DEFAULT_DRIFT_EVENT_SINK_TIMEOUT_MS)
    .describe('timeout of one POST to --drift-event-sink-url, in ms'),
  driftEventSinkQueue: positiveInt()
    .default(DEFAULT_DRIFT_EVENT_SINK_QUEUE)
    .describe('DriftEvents waiting for --drift-event-sink-url; more are dropped and counted'),
  checkpointIntervalMs: positiveInt()
    .default(DEFAULT_CHECKPOINT_INTERVAL_MS)
    .describe(
      'interval in ms at which open live windows are saved; a kill -9 loses at most this much of them (a graceful stop saves all)',
    ),
  trailingRefitCheckMs: positiveInt()
    .default(DEFAULT_TRAILING_REFIT_CHECK_MS)
    .describe(
      'interval in ms at which detectors with a trailing reference are checked for a due refit (a refit runs at most this late)',
    ),
  minTrailingRefitIntervalMs: positiveInt()
    .default(DEFAULT_MIN_TRAILING_REFIT_INTERVAL_MS)
    .describe(
      'shortest refit interval in ms of a trailing reference (config.trailing_reference.refit_interval); shorter is INVALID_ARGUMENT at CreateDetector (each refit that changes the reference is a version kept on disk)',
    ),
  scoringThreads: z.coerce
    .number()
    .int()
    .nonnegative()
    .max(MAX_SCORING_THREADS, {
      message: `--scoring-threads may be at most ${MAX_SCORING_THREADS} (threads past the CPU cores add memory, not speed)`,
    })
    .optional()
    .describe(
      `worker threads that run Score, Predict, live and history windows off the event loop, at most ${MAX_SCORING_THREADS}; unset: max(1, CPU cores - 1), at most ${MAX_SCORING_THREADS}; 0: score on the event loop`,
    ),
  maxOnlineBootstraps: positiveInt()
    .default(DEFAULT_MAX_ONLINE_BOOTSTRAPS)
    .describe(
      'most bootstrap simulations of an online detector (config.mmd_online/cvm_online.n_bootstraps, set or default); they run on the event loop during Fit and InferThreshold; more is INVALID_ARGUMENT',
    ),
  maxPendingScores: positiveInt()
    .default(DEFAULT_MAX_PENDING_SCORES)
    .describe(
      'scores waiting for a scoring thread; when full, Score and Predict are RESOURCE_EXHAUSTED and a closed live window is dropped (windows_dropped reason scoring_queue_full)',
    ),
});

/** The scoring threads of `configured` (--scoring-threads) on a machine of `cores` CPU cores. */
export function scoringThreadsOf(configured: number | undefined, cores: number): number {
  // One core is left to the event loop (gRPC, HTTP, windows); never fewer than one thread.
  return configured ?? Math.min(MAX_SCORING_THREADS, Math.max(1, cores - 1));
}

/** The drift service's resolved settings. */
export type DriftConfig = z.output<typeof driftConfigSchema>;
