/**
 * The composition root of the outlier service: builds every part from the config and wires
 * them. `main.ts` adds the process concerns (environment, signals); tests and the CLI call
 * `startOutlier` directly.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  createAutoencoderKind,
  type KindCatalogue,
  OutlierKinds,
  type OutlierScores,
} from '@sightline/detect';
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
import type { OutlierConfig } from './config.js';
import { OutlierDataPlane } from './data-plane/outlier-data-plane.js';
import type { OutlierEventRecord } from './data-plane/outlier-types.js';
import { OutlierDetectors } from './detectors/outlier-detectors.js';
import { OutlierMetrics } from './observability/outlier-metrics.js';
import { OutlierEventLog } from './results/outlier-event-log.js';
import { OUTLIER_CLOUD_EVENT_TYPE, outlierEventAttributes } from './results/outlier-event-sink.js';
import { registerOutlierService } from './server.js';

const SERVICE_NAME = 'outlier';
const { version: PACKAGE_VERSION } = createRequire(import.meta.url)('../package.json') as { version: string };

/** Parts a caller may supply; everything else is built from the config. */
export interface OutlierParts {
  readonly logger: Logger;
  readonly tracing?: Tracing;
  readonly registry?: Registry;
  /** Live events in the same process (the local stack's in-process bus). */
  readonly eventSource?: EventSource;
  /** Stored events instead of the configured store (tests). */
  readonly eventReader?: EventReader;
  /** A clock in ms since the epoch (tests). */
  readonly now?: () => number;
  /** The outlier kinds (default: libs/detect's catalogue; tests of the machinery pass doubles). */
  readonly kinds?: KindCatalogue<OutlierScores>;
}

/** A started outlier service. */
export interface OutlierHandle extends RunningService {
  readonly dataPlane: OutlierDataPlane;
  readonly registry: Registry;
  /** Resolves once every queued live event was scored and its OutlierEvents stored (tests). */
  idle(): Promise<void>;
  /** Graceful stop: queue drained, running statistics saved. Same as shutdown(). */
  stop(): Promise<void>;
}

/** Starts an outlier service: ports bound, detectors loaded, live scoring on. */
export async function startOutlier(config: OutlierConfig, parts: OutlierParts): Promise<OutlierHandle> {
  const { logger } = parts;
  const now = parts.now ?? Date.now;
  const registry = parts.registry ?? createMetricsRegistry({ serviceName: SERVICE_NAME });
  const tracer =
    parts.tracing?.tracerFor('sightline.outlier') ??
    (await import('@opentelemetry/api')).trace.getTracer('sightline.outlier');
  const dataDir = path.resolve(config.dataDir);

  let plane: OutlierDataPlane | undefined;
  let detectors: OutlierDetectors | undefined;
  const metrics = new OutlierMetrics(registry, {
    queueDepth: () => ingress.depth,
    queueAgeSeconds: () => ingress.oldestWaitMs() / 1000,
    refusedDetectors: () => plane?.refused.length ?? 0,
    detectors: () => plane?.detectorInfos() ?? [],
    eventLog: () => log,
  });
  const ingress = new EventIngressQueue({
    capacity: config.eventQueueCapacity,
    deduplicationWindow: config.deduplicationWindow,
    consume: (events) => plane?.ingest(events),
    onConsumerError: (error) => logger.error({ err: error }, 'live events not scored'),
  });

  let log: OutlierEventLog | undefined;
  let sink: RecordCloudEventSink<OutlierEventRecord> | undefined;
  let store: FileEventStore | undefined;
  let reader: EventReader | undefined = parts.eventReader;
  let checkReader: (() => Promise<void>) | undefined;
  let subscription: EventSubscription | undefined;
  let saver: NodeJS.Timeout | undefined;
  let lock: DataDirLock | undefined;

  const kit: CallKit = {
    tracer,
    logger,
    metrics: new GrpcServerMetrics(registry),
    traced: parts.tracing === undefined || parts.tracing.exporter.kind !== 'none',
  };
  // The handlers are registered before start() builds the plane (ports bind first, so probes
  // answer while detectors load); a call that arrives meanwhile is UNAVAILABLE.
  const planeProxy = startingProxy<OutlierDataPlane>(
    () => plane,
    'the outlier service is starting: its detectors are loading, retry shortly',
  );
  const saveRunning = () =>
    detectors
      ?.saveUnsaved()
      .catch((error: unknown) => logger.error({ err: error }, 'running statistics not saved'));

  const service = await runService({
    name: SERVICE_NAME,
    config,
    logger,
    registry,
    tracing: parts.tracing,
    protoFiles: ['sightline/outlier/v1/outlier.proto'],
    serviceNames: ['sightline.outlier.v1.OutlierService'],
    register: (server) => registerOutlierService(server, kit, planeProxy, {}),
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
        log = await OutlierEventLog.open(
          path.join(dataDir, 'outlier-events'),
          config.outlierEventsCommitBatch,
          (problem) => logger.warn(problem, `outlier event log: line ${problem.line}: ${problem.reason}`),
          {
            segmentBytes: config.outlierEventsSegmentBytes,
            retentionBytes: config.outlierEventsRetentionBytes,
            retentionMs: config.outlierEventsRetentionMs,
          },
        );
        if (config.outlierEventSinkUrl) {
          sink = new RecordCloudEventSink<OutlierEventRecord>({
            url: config.outlierEventSinkUrl,
            type: OUTLIER_CLOUD_EVENT_TYPE,
            source: `sightline/${SERVICE_NAME}`,
            attributes: outlierEventAttributes,
            timeoutMs: config.outlierEventSinkTimeoutMs,
            queueCapacity: config.outlierEventSinkQueue,
            onDropped: (reason, error) => {
              metrics.sinkEventDropped(reason);
              logger.warn({ reason, err: error }, 'outlier event not delivered to the sink');
            },
          });
        }
        if (!reader) {
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
        }
        detectors = await OutlierDetectors.open({
          dataDir,
          sightlineVersion: PACKAGE_VERSION,
          kinds:
            parts.kinds ??
            new OutlierKinds(undefined, {
              autoencoder: createAutoencoderKind({
                device: config.device,
                logger: {
                  info: (fields, message) => logger.info(fields, message),
                  warn: (fields, message) => logger.warn(fields, message),
                },
              }),
            }),
          limits: {
            maxReferenceRows: config.maxReferenceRows,
            maxRowsPerCall: config.maxRowsPerCall,
            maxTrainingSeconds: config.maxTrainingSeconds,
          },
          now,
        });
        plane = new OutlierDataPlane({
          detectors,
          log,
          metrics,
          tracer,
          limits: { maxHistoryRangeMs: config.maxHistoryRangeMs },
          reader: () => reader,
          readerSetting: '--events-dir',
          ...(checkReader ? { checkReader } : {}),
          ...(sink ? { sink } : {}),
          now,
          onError: (message, error) => logger.error({ err: error }, message),
        });
        for (const refused of plane.refused) {
          logger.error(
            refused,
            `saved detector "${refused.name}" refused: ${refused.file}: ${refused.reason}`,
          );
        }
        if (parts.eventSource) subscription = feedIngressQueue(parts.eventSource, ingress, metrics);
        ingress.open();
        saver = setInterval(saveRunning, config.runningSaveIntervalMs);
        saver.unref();
        logger.info(
          {
            dataDir,
            events: reader?.description ?? 'none',
            detectors: plane.listDetectors(0, '').detectors.length,
          },
          'outlier service ready',
        );
      } catch (error) {
        await log?.close();
        await lock.release();
        throw error;
      }
    },
    stop: async () => {
      subscription?.unsubscribe();
      clearInterval(saver);
      await ingress.stop();
      await plane?.settled();
      await saveRunning();
      await log?.close();
      await sink?.close({ timeoutMs: config.outlierEventSinkTimeoutMs });
      await store?.close();
      await lock?.release();
    },
  });
  return Object.assign(service, {
    dataPlane: planeProxy,
    registry,
    idle: async () => {
      await ingress.idle();
      await plane?.settled();
    },
    stop: () => service.shutdown(),
  });
}
