/**
 * The composition root of the explainer: builds every part from the config and wires them.
 * `main.ts` adds the process concerns (environment, signals); tests and the CLI call
 * `startExplainer` directly.
 */
import {
  type CallKit,
  GrpcServerMetrics,
  type Logger,
  type RunningService,
  runService,
} from '@sightline/service-kit';
import { createMetricsRegistry, type Tracing } from '@sightline/telemetry';
import type { Registry } from 'prom-client';
import { addressList, type ExplainerConfig } from './config.js';
import { configureGradientBackend } from './contract/gradient-models.js';
import { builtInMethods } from './contract/method-entries.js';
import { ExplainerDataPlane } from './data-plane/explainer-data-plane.js';
import { ExplanationJobs } from './data-plane/explanation-jobs.js';
import type { MethodRegistry } from './data-plane/method-registry.js';
import type { StoredEventInputs } from './data-plane/stored-events.js';
import type { V2Endpoints } from './data-plane/target-ports.js';
import { GlobalExplainer } from './global/global-explainer.js';
import { ExplainerMetrics } from './observability/explainer-metrics.js';
import { CloudExplanationSink } from './results/explanation-event-sink.js';
import { registerExplainerService } from './server.js';
import { EventServiceReader } from './upstream/event-service-reader.js';
import { GrpcV2Endpoints } from './upstream/v2-endpoints.js';

const SERVICE_NAME = 'explainer';

/** Parts a caller may supply; everything else is built from the config. */
export interface ExplainerParts {
  readonly logger: Logger;
  readonly tracing?: Tracing;
  readonly registry?: Registry;
  /** The methods (default: the built-in registry; tests add their own). */
  readonly methods?: MethodRegistry;
  /** The V2 targets (default: gRPC clients). */
  readonly endpoints?: V2Endpoints;
  /** Stored events (default: the router's EventService at --router). */
  readonly storedEvents?: StoredEventInputs;
  /** A clock in ms since the epoch (tests). */
  readonly now?: () => number;
}

/** A started explainer. */
export interface ExplainerHandle extends RunningService {
  readonly dataPlane: ExplainerDataPlane;
  readonly jobs: ExplanationJobs;
  readonly registry: Registry;
  /** Graceful stop. Same as shutdown(). */
  stop(): Promise<void>;
}

/** Starts an explainer: ports bound, ready at once (it holds no state to load). */
export async function startExplainer(
  config: ExplainerConfig,
  parts: ExplainerParts,
): Promise<ExplainerHandle> {
  const { logger } = parts;
  // Integrated Gradients' TF.js backend is picked at its first call, on this device.
  configureGradientBackend(config.device, {
    info: (fields, message) => logger.info(fields, message),
    warn: (fields, message) => logger.warn(fields, message),
  });
  const registry = parts.registry ?? createMetricsRegistry({ serviceName: SERVICE_NAME });
  const tracer =
    parts.tracing?.tracerFor('sightline.explainer') ??
    (await import('@opentelemetry/api')).trace.getTracer('sightline.explainer');
  const endpoints =
    parts.endpoints ??
    new GrpcV2Endpoints({
      maxReceiveMessageBytes: config.maxReceiveMessageBytes,
      maxSendMessageBytes: config.maxSendMessageBytes,
    });
  const storedEvents =
    parts.storedEvents ?? new EventServiceReader(config.router, config.maxReceiveMessageBytes);
  let plane: ExplainerDataPlane | undefined;
  // The job table is built after the metrics (it needs the data plane); the gauge reads it once it exists.
  let jobTable: ExplanationJobs | undefined;
  const metrics = new ExplainerMetrics(registry, {
    cachedExplanations: () => plane?.cachedCount ?? 0,
    jobs: () => ({ running: jobTable?.runningCount ?? 0, queued: jobTable?.queuedCount ?? 0 }),
  });
  const events = config.eventsSink
    ? new CloudExplanationSink({
        url: config.eventsSink,
        timeoutMs: config.eventsSinkTimeoutMs,
        queueCapacity: config.eventsSinkQueue,
        onDropped: (reason, error) => {
          metrics.eventDropped(reason);
          logger.warn({ reason, err: error }, 'explanation event not delivered to the sink');
        },
      })
    : undefined;
  plane = new ExplainerDataPlane({
    endpoints,
    registry: parts.methods ?? builtInMethods(),
    addresses: {
      modelServer: config.modelServer,
      router: config.router,
      allowedTargets: addressList(config.allowedTargets),
    },
    limits: {
      maxInstances: config.maxInstances,
      maxTabularFeatures: config.maxTabularFeatures,
      maxImageElements: config.maxImageElements,
      maxBackgroundRows: config.maxBackgroundRows,
      defaultMaxModelCalls: config.defaultMaxModelCalls,
      defaultMaxRowsPerCall: config.defaultMaxRowsPerCall,
      maxCallBytes: config.maxCallBytes,
      deadlineMarginMs: config.deadlineMarginMs,
      defaultBudgetMs: config.defaultBudgetMs,
      defaultJobBudgetMs: config.defaultJobBudgetMs,
      metadataTimeoutMs: config.metadataTimeoutMs,
    },
    cacheEntries: config.cacheEntries,
    repository: config.repository,
    observer: metrics,
    ...(events ? { events } : {}),
    storedEvents,
    ...(parts.now ? { now: parts.now } : {}),
  });
  const dataPlane = plane;
  const global = new GlobalExplainer({
    plane: dataPlane,
    storedEvents,
    limits: {
      maxInstances: config.maxInstances,
      defaultMaxModelCalls: config.defaultMaxModelCalls,
      defaultMaxRowsPerCall: config.defaultMaxRowsPerCall,
      defaultJobBudgetMs: config.defaultJobBudgetMs,
    },
    ...(parts.now ? { now: parts.now } : {}),
  });
  const jobs = new ExplanationJobs({
    plane: dataPlane,
    global,
    maxRunning: config.maxRunningExplanations,
    maxQueued: config.maxQueuedExplanations,
    ttlMs: config.jobTtlMs,
    ...(parts.now ? { now: parts.now } : {}),
    onError: (message, error) => logger.error({ err: error }, message),
    onRefused: (reason) => metrics.jobRefused(reason),
  });
  jobTable = jobs;
  const kit: CallKit = {
    tracer,
    logger,
    metrics: new GrpcServerMetrics(registry),
    traced: parts.tracing === undefined || parts.tracing.exporter.kind !== 'none',
  };
  const service = await runService({
    name: SERVICE_NAME,
    config,
    logger,
    registry,
    tracing: parts.tracing,
    protoFiles: ['sightline/explainer/v1/explainer.proto'],
    serviceNames: ['sightline.explainer.v1.ExplainerService'],
    register: (server) => registerExplainerService(server, kit, dataPlane, jobs, {}),
    // Watch streams follow their job to its end: cancelling the jobs ends them with it.
    beforeDrain: () => {
      void jobs.close();
    },
    start: async () => {
      logger.info(
        {
          modelServer: config.modelServer,
          router: config.router,
          repository: config.repository ?? null,
          device: config.device,
        },
        'explainer ready',
      );
    },
    stop: async () => {
      await jobs.close();
      await events?.close();
      if (storedEvents instanceof EventServiceReader) storedEvents.close();
      endpoints.close();
    },
  });
  return Object.assign(service, { dataPlane, jobs, registry, stop: () => service.shutdown() });
}
