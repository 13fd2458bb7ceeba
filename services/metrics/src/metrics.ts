/**
 * The composition root of the metrics service: builds every part from the config and wires
 * them. `main.ts` adds the process concerns (environment, signals); tests and the CLI call
 * `startMetrics` directly.
 */
import path from 'node:path';
import type { metricsV1 } from '@sightline/contracts';
import {
  createEventsRoute,
  EventIngressQueue,
  type EventSource,
  type EventSubscription,
  feedIngressQueue,
  OUTLIER_CLOUD_EVENT_TYPE,
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
import { type MetricsConfig, parseModelTable, parseSegmentNames } from './config.js';
import { MetricsServiceMetrics } from './observability/metrics-service-metrics.js';
import { exportedValues } from './queries/exported-values.js';
import { registerMetricsService } from './server.js';
import { builtInParts } from './service/built-in-parts.js';
import type { DataPlaneObserver } from './service/data-plane-hooks.js';
import { MetricsDataPlane } from './service/metrics-data-plane.js';
import { CloudMetricsEventSink } from './service/metrics-event-sink.js';
import { StoreOutageRetry } from './service/store-outage-retry.js';
import type { MetricsStore } from './store/metrics-store.js';
import { PostgresMetricsStore } from './store/postgres/postgres-metrics-store.js';
import { SqliteMetricsStore } from './store/sqlite/sqlite-metrics-store.js';
import { MetricWindows } from './windows/metric-windows.js';

const SERVICE_NAME = 'metrics';
/** The SQLite file inside --data-dir. */
export const SQLITE_FILE = 'metrics.sqlite';

/** What the other parts of the service (comparison, annotation, alerts) are given to build their handlers. */
export interface MetricsServiceContext {
  readonly kit: CallKit;
  readonly plane: MetricsDataPlane;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly now: () => number;
}

/** Parts a caller may supply; everything else is built from the config. */
export interface MetricsParts {
  readonly logger: Logger;
  readonly tracing?: Tracing;
  readonly registry?: Registry;
  /** Live events in the same process (the local stack's in-process bus). */
  readonly eventSource?: EventSource;
  /** A clock in ms since the epoch (tests). */
  readonly now?: () => number;
  /** Extra handler groups and observers, built once the data plane exists. */
  readonly extensions?: (context: MetricsServiceContext) => {
    readonly handlers?: readonly Partial<metricsV1.MetricsServiceServer>[];
    readonly observers?: readonly DataPlaneObserver[];
    readonly stop?: () => Promise<void>;
  };
}

/** A started metrics service. */
export interface MetricsHandle extends RunningService {
  readonly dataPlane: MetricsDataPlane;
  readonly registry: Registry;
  /** Resolves once every queued event is stored and counted, and the windows flushed (tests). */
  idle(): Promise<void>;
  /** Graceful stop: queue drained, windows flushed, store closed. Same as shutdown(). */
  stop(): Promise<void>;
}

/** Starts a metrics service: ports bound, store opened, windows primed, loops running. */
export async function startMetrics(config: MetricsConfig, parts: MetricsParts): Promise<MetricsHandle> {
  const { logger } = parts;
  const now = parts.now ?? Date.now;
  const registry = parts.registry ?? createMetricsRegistry({ serviceName: SERVICE_NAME });
  const tracer =
    parts.tracing?.tracerFor('sightline.metrics') ??
    (await import('@opentelemetry/api')).trace.getTracer('sightline.metrics');
  const dataDir = path.resolve(config.dataDir);
  const mapping = {
    classes: parseModelTable(config.classes, '--classes'),
    outputs: Object.fromEntries(
      Object.entries(parseModelTable(config.outputs, '--outputs')).map(([k, v]) => [k, v[0]!]),
    ),
    segments: parseSegmentNames(config.segments),
  };

  const storeLimits = {
    maxPredictionsPerRequest: config.maxPredictionsPerRequest,
    maxClockSkewMs: config.maxFeedbackClockSkewMs,
  };
  let plane: MetricsDataPlane | undefined;
  let store: MetricsStore | undefined;
  let lock: DataDirLock | undefined;
  let sink: CloudMetricsEventSink | undefined;
  let subscription: EventSubscription | undefined;
  let pending: Readonly<Record<string, number>> = {};
  let stopExtensions: (() => Promise<void>) | undefined;
  let outlierEvent: ((data: unknown) => void) | undefined;
  const timers: NodeJS.Timeout[] = [];
  const metrics = new MetricsServiceMetrics(registry, {
    queueDepth: () => ingress.depth,
    queueAgeSeconds: () => ingress.oldestWaitMs() / 1000,
    pending: () => pending,
    unflushed: () => plane?.persistence.unflushed ?? 0,
    exportWindowSeconds: config.exportWindowMs / 1000,
  });
  // Events answered 202 wait out a store outage here (the queue fills, POST /events answers 429).
  const storeRetry = new StoreOutageRetry({
    onRetry: (error, attempt) => {
      if (attempt === 0) logger.warn({ err: error }, 'inference events wait for the store');
    },
  });
  const ingress = new EventIngressQueue({
    capacity: config.eventQueueCapacity,
    deduplicationWindow: config.deduplicationWindow,
    consume: (events) => {
      const current = plane;
      return current && storeRetry.run(() => current.ingest(events));
    },
    onConsumerError: (error) => logger.error({ err: error }, 'inference events not stored'),
  });
  const kit: CallKit = {
    tracer,
    logger,
    metrics: new GrpcServerMetrics(registry),
    traced: parts.tracing === undefined || parts.tracing.exporter.kind !== 'none',
  };
  const planeProxy = startingProxy<MetricsDataPlane>(
    () => plane,
    'the metrics service is starting: its store is opening, retry shortly',
  );
  // Handler groups of the other parts are built after the plane exists; until then, and for
  // methods no part implements, calls are UNAVAILABLE or UNIMPLEMENTED.
  const groups: Partial<metricsV1.MetricsServiceServer>[] = [];
  const every = (ms: number, work: () => Promise<unknown>, what: string) => {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work()
        .catch((error: unknown) => logger.error({ err: error }, what))
        .finally(() => {
          running = false;
        });
    }, ms);
    timer.unref();
    timers.push(timer);
  };

  const service = await runService({
    name: SERVICE_NAME,
    config,
    logger,
    registry,
    tracing: parts.tracing,
    protoFiles: ['sightline/metrics/v1/metrics.proto'],
    serviceNames: ['sightline.metrics.v1.MetricsService'],
    register: (server) => registerMetricsService(server, kit, planeProxy, {}, () => groups),
    httpRoutes: {
      '/events': createEventsRoute({
        queue: ingress,
        maxBodyBytes: config.eventsMaxBodyBytes,
        retryAfterSeconds: config.eventRetryAfterSeconds,
        observer: metrics,
        serviceName: SERVICE_NAME,
        // The outlier service's verdicts feed the annotation queues' OUTLIERS_FIRST policy.
        otherTypes: {
          [OUTLIER_CLOUD_EVENT_TYPE]: (data) => {
            if (outlierEvent === undefined) throw new Error('the metrics service is starting: retry later');
            outlierEvent(data);
          },
        },
      }),
    },
    start: async () => {
      if (config.postgresUrl) {
        store = await PostgresMetricsStore.open({
          connectionString: config.postgresUrl,
          poolSize: config.postgresPoolSize,
          connectTimeoutMs: config.postgresConnectTimeoutMs,
        });
      } else {
        await checkDirectorySetting('--data-dir', dataDir, false);
        lock = await DataDirLock.acquire(dataDir, { service: SERVICE_NAME, flag: '--data-dir', logger });
      }
      try {
        store ??= await SqliteMetricsStore.open({
          file: path.join(dataDir, SQLITE_FILE),
          limits: storeLimits,
        });
        if (config.metricsEventSinkUrl) {
          sink = new CloudMetricsEventSink(
            {
              url: config.metricsEventSinkUrl,
              timeoutMs: config.metricsEventSinkTimeoutMs,
              queueCapacity: config.metricsEventSinkQueue,
              onDropped: (reason, error) => {
                metrics.sinkEventDropped(reason);
                logger.warn({ reason, err: error }, 'metrics event not delivered to the sink');
              },
            },
            now,
          );
        }
        const windows = new MetricWindows({
          segmentNames: mapping.segments,
          maxSegmentValues: config.maxSegmentValues,
          maxSeries: config.maxSeries,
          countWindowPairs: config.countWindowPairs,
          cbpeF1IntervalMaxClasses: config.cbpeF1IntervalMaxClasses,
        });
        const observers: DataPlaneObserver[] = [];
        const created = new MetricsDataPlane({
          store,
          windows,
          mapping,
          limits: {
            maxFeedbackPerCall: config.maxFeedbackPerCall,
            maxPendingFeedback: config.maxPendingFeedback,
            pendingFeedbackTtlMs: config.pendingFeedbackTtlMs,
            retentionMs: config.retentionMs,
            countWindowsKept: config.countWindowsKept,
          },
          ...(sink ? { sink } : {}),
          counters: metrics,
          persistence: metrics,
          storeLimits,
          observers,
          directLoss: {
            referencePairs: config.dleReferencePairs,
            minReferencePairs: Math.min(config.dleMinReferencePairs, Math.max(config.dleReferencePairs, 10)),
            refitIntervalMs: config.dleRefitIntervalMs,
          },
          now,
          onError: (message, error) => logger.error({ err: error }, message),
        });
        await created.start();
        const builtIn = await builtInParts({
          config,
          plane: created,
          kit,
          registry,
          logger,
          now,
          ...(sink ? { alertSink: sink } : {}),
          segmentNames: mapping.segments,
        });
        const extension = parts.extensions?.({ kit, plane: created, registry, logger, now });
        groups.push(...builtIn.handlers, ...(extension?.handlers ?? []));
        observers.push(...builtIn.observers, ...(extension?.observers ?? []));
        outlierEvent = builtIn.outlierEvent;
        stopExtensions = async () => {
          await builtIn.stop();
          await extension?.stop?.();
        };
        plane = created;
        pending = await created.pendingByModel();
        if (parts.eventSource) subscription = feedIngressQueue(parts.eventSource, ingress, metrics);
        ingress.open();
        every(config.flushIntervalMs, () => created.flush(), 'window buckets not flushed');
        every(
          config.expiryIntervalMs,
          async () => {
            await created.expire();
            pending = await created.pendingByModel();
          },
          'pending feedback not expired',
        );
        every(config.retentionIntervalMs, () => created.retire(), 'old data not removed');
        every(
          config.exportIntervalMs,
          async () => {
            metrics.exportWindowValues(await exportedValues(created, now(), config.exportWindowMs));
            metrics.conceptDriftStates(
              created.matchingSeriesOfAll().flatMap(({ series }) =>
                Object.entries(created.windows.conceptDriftStates(series)).map(([detector, state]) => ({
                  series,
                  detector,
                  state: String(state),
                })),
              ),
            );
          },
          'windowed metrics not exported',
        );
        logger.info(
          {
            store: config.postgresUrl ? 'postgresql' : path.join(dataDir, SQLITE_FILE),
            segments: mapping.segments,
          },
          'metrics service ready',
        );
      } catch (error) {
        await store?.close();
        await lock?.release();
        throw error;
      }
    },
    stop: async () => {
      subscription?.unsubscribe();
      for (const timer of timers) clearInterval(timer);
      storeRetry.stop();
      await ingress.stop();
      await plane?.settled();
      await plane?.flush();
      await stopExtensions?.();
      // A dead or slow receiver delays the stop by at most one send's timeout (the rest is dropped, counted).
      await sink?.close(config.metricsEventSinkTimeoutMs);
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
      await plane?.flush();
    },
    stop: () => service.shutdown(),
  });
}
