/**
 * The composition root of the drift service: builds every part from the config and wires
 * them. `main.ts` adds the process concerns (environment, signals); tests and the CLI call
 * `startDrift` directly.
 */
import { createRequire } from 'node:module';
import { availableParallelism, hostname } from 'node:os';
import path from 'node:path';
import type { DriftKernels, WindowShare } from '@sightline/detect';
import { InvalidArgumentError } from '@sightline/errors';
import {
  createEventsRoute,
  EventIngressQueue,
  type EventReader,
  type EventSource,
  type EventSubscription,
  type FileEventStore,
  feedIngressQueue,
  openStoredEventsReader,
  RecordCloudEventSink,
} from '@sightline/events';
import {
  type CallKit,
  checkDirectorySetting,
  DataDirLock,
  GrpcServerMetrics,
  type Logger,
  type RunningService,
  runService,
  startingProxy,
} from '@sightline/service-kit';
import { createMetricsRegistry, type Tracing } from '@sightline/telemetry';
import type { Registry } from 'prom-client';
import { type DriftConfig, scoringThreadsOf } from './config.js';
import { DriftDataPlane } from './data-plane/drift-data-plane.js';
import type { DriftEngine, EngineListener } from './data-plane/drift-engine.js';
import { readAttachmentsFile } from './detectors/attachments-file.js';
import { createDetectEngine } from './detectors/detect-engine.js';
import { DetectorCatalog } from './detectors/detector-catalog.js';
import { WindowShareSender } from './detectors/window-share-sender.js';
import { DriftMetrics } from './observability/drift-metrics.js';
import type { DriftEventRecord } from './results/drift-event.js';
import { DriftEventLog } from './results/drift-event-log.js';
import { DRIFT_CLOUD_EVENT_TYPE, driftEventAttributes } from './results/drift-event-sink.js';
import { ScoringPool } from './scoring/scoring-pool.js';
import { type KernelsModule, STATS_KERNELS_MODULE } from './scoring/scoring-protocol.js';
import { registerDriftService } from './server.js';

const SERVICE_NAME = 'drift';
const { version: PACKAGE_VERSION } = createRequire(import.meta.url)('../package.json') as { version: string };

/** How often open windows are checked for their time limit, in ms. */
export const WINDOW_TICK_INTERVAL_MS = 250;

/** Parts a caller may supply; everything else is built from the config. */
export interface DriftParts {
  readonly logger: Logger;
  readonly tracing?: Tracing;
  readonly registry?: Registry;
  /** Live events in the same process (the local stack's in-process bus). */
  readonly eventSource?: EventSource;
  /** Stored events instead of the configured store (tests). */
  readonly eventReader?: EventReader;
  /** A clock in ms since the epoch (tests). */
  readonly now?: () => number;
  /** The statistical kernels (default: @sightline/stats'; tests of the machinery pass a double). */
  readonly kernels?: DriftKernels;
  /**
   * Where the scoring threads import `kernels` from (a function cannot cross a thread). Without
   * it, a service given `kernels` scores on the event loop.
   */
  readonly scoringKernels?: KernelsModule;
}

/** A started drift service. */
export interface DriftHandle extends RunningService {
  readonly dataPlane: DriftDataPlane;
  readonly registry: Registry;
  /** Resolves once every queued live event was scored and its closed windows stored (tests). */
  idle(): Promise<void>;
  /** Closes the windows whose time is up now, as the timer does, and waits for them to be stored (tests). */
  tick(): Promise<void>;
  /** Graceful stop: windows checkpointed, queue drained. Same as shutdown(). */
  stop(): Promise<void>;
  /** The scoring threads; undefined when scores run on the event loop (--scoring-threads 0). */
  readonly scoringPool: () => ScoringPool | undefined;
}

/** Starts a drift service: ports bound, detectors loaded, attachments applied. */
export async function startDrift(config: DriftConfig, parts: DriftParts): Promise<DriftHandle> {
  const { logger } = parts;
  const now = parts.now ?? Date.now;
  const registry = parts.registry ?? createMetricsRegistry({ serviceName: SERVICE_NAME });
  const tracer =
    parts.tracing?.tracerFor('sightline.drift') ??
    (await import('@opentelemetry/api')).trace.getTracer('sightline.drift');
  const dataDir = path.resolve(config.dataDir);

  let plane: DriftDataPlane | undefined;
  let queue: EventIngressQueue | undefined;
  // Built in start() with the engine; --scoring-threads 0 leaves it undefined.
  let pool: ScoringPool | undefined;
  const metrics = new DriftMetrics(registry, {
    queueDepth: () => queue?.depth ?? 0,
    queueAgeSeconds: () => (queue?.oldestWaitMs() ?? 0) / 1000,
    refusedDetectors: () => plane?.refused.length ?? 0,
    detectors: () => plane?.detectorInfos() ?? [],
    scoring: () => pool && { running: pool.running, pending: pool.pending, replaced: pool.threadsReplaced },
    eventLog: () => log,
  });
  queue = new EventIngressQueue({
    capacity: config.eventQueueCapacity,
    deduplicationWindow: config.deduplicationWindow,
    consume: (events) => plane?.ingest(events),
    onConsumerError: (error) => logger.error({ err: error }, 'live events not scored'),
  });
  const ingress = queue;

  // Built in start(), once the data directory is checked; the RPCs are served only after.
  let engine: DriftEngine | undefined;
  let log: DriftEventLog | undefined;
  let sink: RecordCloudEventSink<DriftEventRecord> | undefined;
  let store: FileEventStore | undefined;
  let reader: EventReader | undefined = parts.eventReader;
  let checkReader: (() => Promise<void>) | undefined;
  let subscription: EventSubscription | undefined;
  let ticker: NodeJS.Timeout | undefined;
  let checkpointer: NodeJS.Timeout | undefined;
  let refitter: NodeJS.Timeout | undefined;
  let lock: DataDirLock | undefined;
  let shareSender: WindowShareSender | undefined;
  const listener: EngineListener = {
    windowClosed: (result) => plane?.windowClosed(result),
    unreadable: (detector, reason, count) => plane?.unreadable(detector, reason, count),
    windowDropped: (detector, reason) => plane?.windowDropped(detector, reason),
  };

  const kit: CallKit = {
    tracer,
    logger,
    metrics: new GrpcServerMetrics(registry),
    traced: parts.tracing === undefined || parts.tracing.exporter.kind !== 'none',
  };
  // The gRPC handlers are registered before start() builds the plane (ports bind first, so
  // probes answer while detectors load); a call that arrives meanwhile is UNAVAILABLE.
  const planeProxy = startingProxy<DriftDataPlane>(
    () => plane,
    'the drift service is starting: its detectors are loading, retry shortly',
  );

  const service = await runService({
    name: SERVICE_NAME,
    config,
    logger,
    registry,
    tracing: parts.tracing,
    protoFiles: ['sightline/drift/v1/drift.proto'],
    serviceNames: ['sightline.drift.v1.DriftService'],
    register: (server) => registerDriftService(server, kit, planeProxy, {}),
    httpRoutes: {
      '/events': createEventsRoute({
        queue: ingress,
        maxBodyBytes: config.eventsMaxBodyBytes,
        retryAfterSeconds: config.eventRetryAfterSeconds,
        observer: metrics,
        serviceName: SERVICE_NAME,
      }),
    },
    start: async () => {
      await checkDirectorySetting('--data-dir', dataDir, false);
      lock = await DataDirLock.acquire(dataDir, { service: SERVICE_NAME, flag: '--data-dir', logger });
      try {
        const catalog = await DetectorCatalog.open(path.join(dataDir, 'detectors'), (problem) =>
          logger.error(problem, `saved detector record refused: ${problem.file}: ${problem.reason}`),
        );
        log = await DriftEventLog.open(
          path.join(dataDir, 'drift-events'),
          (problem) => logger.warn(problem, `drift event log: line ${problem.line}: ${problem.reason}`),
          {
            segmentBytes: config.driftEventsSegmentBytes,
            retentionBytes: config.driftEventsRetentionBytes,
            retentionMs: config.driftEventsRetentionMs,
          },
        );
        if (config.driftEventSinkUrl) {
          sink = new RecordCloudEventSink<DriftEventRecord>({
            url: config.driftEventSinkUrl,
            type: DRIFT_CLOUD_EVENT_TYPE,
            attributes: driftEventAttributes,
            source: `sightline/${SERVICE_NAME}`,
            timeoutMs: config.driftEventSinkTimeoutMs,
            queueCapacity: config.driftEventSinkQueue,
            onDropped: (reason, error) => {
              metrics.sinkEventDropped(reason);
              logger.warn({ reason, err: error }, 'drift event not delivered to the sink');
            },
          });
        }
        if (!reader && !config.elasticsearchUrl) {
          const stored = await openStoredEventsReader({
            directory: path.resolve(config.eventsDir),
            setting: '--events-dir',
            maxEventsScanned: config.maxHistoryEvents,
            maxEventsScannedSetting: '--max-history-events',
            logger: {
              warn: (message, fields) => logger.warn(fields ?? {}, message),
              error: (message, fields) => logger.error(fields ?? {}, message),
            },
          });
          store = stored.store;
          reader = stored.reader;
          checkReader = stored.check;
        } else if (!reader && config.elasticsearchUrl) {
          const { createElasticsearchReader } = await import('./detectors/elasticsearch-reader.js');
          reader = createElasticsearchReader(config.elasticsearchUrl);
        }
        // Every replica of a StatefulSet gets the same settings: the one whose --replica-id is
        // the first label of the --merge-into host (drift-0 of drift-0.drift-headless:8003)
        // is the merger, the others send to it.
        const replicaId = config.replicaId ?? hostname();
        const mergerHost = config.mergeInto?.split(':')[0]?.split('.')[0];
        if (config.mergeInto && mergerHost === replicaId && config.replicas <= 1) {
          // It would send nothing and merge nothing: every window lost.
          throw new InvalidArgumentError(
            `--merge-into ${config.mergeInto} names this replica (--replica-id ${replicaId}) as the merger, but --replicas is 1: give the merger --replicas N (the replicas sending to it, itself included)`,
          );
        }
        if (config.mergeInto && mergerHost !== replicaId) {
          shareSender = new WindowShareSender({
            address: config.mergeInto,
            retries: config.mergeRetries,
            logger,
            onDropped: (share) => listener.windowDropped(share.detector, 'share_undelivered'),
          });
        }
        const sender = shareSender;
        const replication =
          sender || config.replicas > 1
            ? {
                replicaId,
                replicas: config.replicas,
                graceMs: config.mergeGraceMs,
                maxWindows: config.maxMergeWindows,
                ...(sender ? { send: (share: WindowShare) => sender.send(share) } : {}),
              }
            : undefined;
        const scoringKernels = parts.scoringKernels ?? (parts.kernels ? undefined : STATS_KERNELS_MODULE);
        const threads = scoringKernels ? scoringThreadsOf(config.scoringThreads, availableParallelism()) : 0;
        if (scoringKernels && threads > 0) {
          pool = await ScoringPool.start({
            threads,
            maxPending: config.maxPendingScores,
            kernels: scoringKernels,
            logger,
          });
        }
        logger.info(
          { scoringThreads: threads },
          threads > 0 ? 'scoring threads started' : 'scoring on the event loop',
        );
        engine = createDetectEngine({
          ...(replication ? { replication } : {}),
          directory: path.join(dataDir, 'fitted'),
          sightlineVersion: PACKAGE_VERSION,
          windowsDirectory: path.join(dataDir, 'windows'),
          listener,
          limits: {
            maxReferenceRows: config.maxReferenceRows,
            maxRequestIdsPerEvent: config.maxRequestIdsPerEvent,
            checkpointIntervalMs: config.checkpointIntervalMs,
          },
          now,
          logger,
          ...(parts.kernels ? { kernels: parts.kernels } : {}),
          ...(pool ? { scoring: pool } : {}),
        });
        plane = new DriftDataPlane({
          catalog,
          engine,
          log,
          metrics,
          tracer,
          limits: {
            maxReferenceRows: config.maxReferenceRows,
            maxWindowRows: config.maxWindowRows,
            maxExactWindowRows: config.maxExactWindowRows,
            maxRequestIdsPerEvent: config.maxRequestIdsPerEvent,
            maxHistoryRangeMs: config.maxHistoryRangeMs,
            maxOnlineBootstraps: config.maxOnlineBootstraps,
            minTrailingRefitIntervalMs: config.minTrailingRefitIntervalMs,
          },
          sightlineVersion: PACKAGE_VERSION,
          reader: () => reader,
          readerSetting: '--events-dir or --elasticsearch-url',
          ...(checkReader ? { checkReader } : {}),
          ...(sink ? { sink } : {}),
          now,
          onError: (message, error) => logger.error({ err: error }, message),
        });
        await plane.load();
        for (const refused of plane.refused) {
          logger.error(refused, `saved detector "${refused.name}" refused: ${refused.reason}`);
        }
        if (config.attachments) {
          for (const entry of await readAttachmentsFile(config.attachments)) {
            await plane.attach(entry.detector, entry.selection, entry.window).then(
              () =>
                logger.info(
                  { detector: entry.detector, model: entry.selection.modelName },
                  'detector attached',
                ),
              (error: unknown) =>
                logger.error(
                  { detector: entry.detector, err: error },
                  `--attachments: detector "${entry.detector}" not attached: ${error instanceof Error ? error.message : String(error)}`,
                ),
            );
          }
        }
        if (parts.eventSource) subscription = feedIngressQueue(parts.eventSource, ingress, metrics);
        ingress.open();
        ticker = setInterval(() => engine?.tick(), WINDOW_TICK_INTERVAL_MS);
        ticker.unref();
        checkpointer = setInterval(() => {
          engine
            ?.checkpoint()
            .catch((error: unknown) => logger.error({ err: error }, 'window checkpoint failed'));
        }, config.checkpointIntervalMs);
        checkpointer.unref();
        refitter = setInterval(() => plane?.refitDue(), config.trailingRefitCheckMs);
        refitter.unref();
        logger.info({ dataDir, events: reader?.description ?? 'none' }, 'drift service ready');
      } catch (error) {
        await pool?.close(0);
        await lock.release();
        throw error;
      }
    },
    stop: async () => {
      subscription?.unsubscribe();
      clearInterval(ticker);
      clearInterval(checkpointer);
      clearInterval(refitter);
      await plane?.refitsSettled();
      await ingress.stop();
      // Windows the drained queue closed, and scores still running, get the shutdown grace.
      await pool?.close(config.shutdownGraceMs);
      await engine?.settled();
      await plane?.settled();
      await engine
        ?.checkpoint()
        .catch((error: unknown) => logger.error({ err: error }, 'window checkpoint failed'));
      shareSender?.close();
      await log?.close();
      await sink?.close({ timeoutMs: config.driftEventSinkTimeoutMs });
      await store?.close();
      await lock?.release();
    },
  });
  return Object.assign(service, {
    dataPlane: planeProxy,
    registry,
    idle: async () => {
      await ingress.idle();
      await engine?.settled();
      await plane?.settled();
    },
    tick: async () => {
      engine?.tick();
      await engine?.settled();
      await plane?.settled();
    },
    scoringPool: () => pool,
    stop: () => service.shutdown(),
  });
}
