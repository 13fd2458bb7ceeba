/**
 * The composition root of the router: builds every part from the config and wires them.
 * `main.ts` adds the process concerns (environment, signals); tests and the CLI call
 * `startRouter` directly.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { Metadata } from '@grpc/grpc-js';
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import type { EventHistory, EventPipeline } from '@sightline/events';
import {
  type CallKit,
  checkDirectorySetting,
  GrpcServerMetrics,
  type Logger,
  type RunningService,
  runService,
} from '@sightline/service-kit';
import { createMetricsRegistry, type Tracing } from '@sightline/telemetry';
import type { Registry } from 'prom-client';
import type { RouterConfig } from './config.js';
import { type DocumentEnvironment, parseGraphDocument } from './contract/graph-document.js';
import { GraphFileStore } from './contract/graph-file-store.js';

import { GraphExecutor } from './engine/graph-executor.js';
import { parseCloudEventsUrls } from './events/cloud-events-urls.js';
import { startEventPipeline } from './events/event-pipeline-setup.js';
import { registerEventService } from './events/event-service.js';
import { type EventEmitter, RequestEventLog } from './events/inference-event-builder.js';
import { lineageOf, ModelLineageCache } from './events/model-lineage-cache.js';
import { loadGraphDirectory } from './graph/graph-directory.js';
import { GraphManager } from './graph/graph-manager.js';
import { GraphRegistry } from './graph/graph-registry.js';
import { RouterDataPlane } from './inference/router-data-plane.js';
import { RouterMetrics } from './observability/router-metrics.js';
import { UpstreamReadiness } from './observability/upstream-readiness.js';
import { registerGraphService, registerInferenceService } from './server.js';
import { GrpcDetectorClient } from './upstream/grpc-detector-client.js';
import { GrpcModelInferer } from './upstream/grpc-model-inferer.js';
import { CoalescingDetectorClient } from './upstream/outlier-call-coalescer.js';
import { UpstreamClients } from './upstream/upstream-clients.js';
import { loadUpstreamTls } from './upstream/upstream-tls.js';

const SERVICE_NAME = 'router';
const { version: PACKAGE_VERSION } = createRequire(import.meta.url)('../package.json') as { version: string };

/** ModelStreamInfer messages handled at once per stream. */
export const STREAM_MAX_IN_FLIGHT = 128;

/** Parts a caller may supply; everything else is built from the config. */
export interface RouterParts {
  readonly logger: Logger;
  readonly tracing?: Tracing;
  readonly registry?: Registry;
  /** Environment for `${VAR}` substitution in graph files (default: none). */
  readonly env?: NodeJS.ProcessEnv;
  /** An event emitter instead of the configured pipeline (tests). */
  readonly events?: EventEmitter;
}

/** A started router. */
export interface RouterHandle extends RunningService {
  readonly dataPlane: RouterDataPlane;
  readonly graphs: GraphManager;
  readonly registry: Registry;
  /** The event pipeline, when the router built one. */
  readonly pipeline: EventPipeline | undefined;
  /** What EventService reads: the stored events, when the router stores them. */
  readonly events: EventHistory | undefined;
  readonly executor: GraphExecutor;
}

/** Starts a router: ports bound, graphs loaded, ready to serve. */
export async function startRouter(config: RouterConfig, parts: RouterParts): Promise<RouterHandle> {
  const { logger } = parts;
  const env = parts.env ?? {};
  const registry = parts.registry ?? createMetricsRegistry({ serviceName: SERVICE_NAME });
  const tracer =
    parts.tracing?.tracerFor('sightline.router') ??
    (await import('@opentelemetry/api')).trace.getTracer('sightline.router');
  const metrics = new RouterMetrics(registry);
  // Spans are recorded only with a trace exporter. Without one the router starts no spans
  // and keeps no async context; it passes the caller's trace headers on itself.
  const traced = parts.tracing !== undefined && parts.tracing.exporter.kind !== 'none';
  const clients = new UpstreamClients({
    maxReceiveMessageBytes: config.maxReceiveMessageBytes,
    maxSendMessageBytes: config.maxSendMessageBytes,
    traceInterceptor: traced,
    upstreamClient: config.upstreamClient,
    addressRefreshIntervalMs: config.upstreamDnsRefreshMs,
    ...(config.upstreamKeepaliveTimeMs > 0 && {
      keepaliveTimeMs: config.upstreamKeepaliveTimeMs,
      keepaliveTimeoutMs: config.upstreamKeepaliveTimeoutMs,
    }),
    tls: await loadUpstreamTls({
      tls: config.upstreamTls,
      caFile: config.upstreamTlsCaFile,
      certFile: config.upstreamTlsCertFile,
      keyFile: config.upstreamTlsKeyFile,
    }),
  });
  const models = new GrpcModelInferer(clients);

  const graphRegistry = new GraphRegistry({
    limits: {
      maxNodes: config.maxGraphNodes,
      maxUpstreamCallsPerRequest: config.maxUpstreamCallsPerRequest,
      maxGraphDepth: config.maxGraphDepth,
      maxMirrorsPerShadow: config.maxMirrorsPerShadow,
      detectorAddresses: { outlier: config.outlierAddress, drift: config.driftAddress },
      defaultModelAddress: config.defaultModelServer,
    },
    // A deleted graph's series, and those of nodes a new version no longer has, go.
    listener: {
      applied: (stored) =>
        metrics.forgetGraph(stored.compiled.spec.name, new Set(stored.compiled.nodes.keys())),
      deleted: (name) => metrics.forgetGraph(name),
    },
  });
  const graphs = new GraphManager(
    graphRegistry,
    new GraphFileStore(path.join(config.dataDir, 'graphs')),
    (failure) =>
      logger.error(
        { file: failure.source, graph: failure.graph, err: failure.error },
        `persisted graph "${failure.graph ?? failure.source}" refused: ${(failure.error as Error)?.message ?? String(failure.error)}`,
      ),
  );

  let pipeline: EventPipeline | undefined;
  let history: EventHistory | undefined;
  const emitter: EventEmitter = {
    enabled: config.events || parts.events !== undefined,
    emitDeferred: (event) => (parts.events ?? pipeline)?.emitDeferred(event),
  };
  const events = new RequestEventLog(emitter, SERVICE_NAME, (error) =>
    logger.error({ err: error }, 'event not emitted'),
  );

  let dataPlane: RouterDataPlane | undefined;
  const detectorClient = new GrpcDetectorClient(clients);
  const executor = new GraphExecutor({
    traced,
    models,
    detectors: new CoalescingDetectorClient(
      detectorClient,
      detectorClient,
      { maxCalls: config.detectorCoalesceMaxCalls, maxBytes: config.detectorCoalesceMaxBytes },
      (detector, calls) => metrics.detectorPredictSent(detector, calls),
    ),
    tracer,
    observer: metrics,
    defaultModelAddress: config.defaultModelServer,
    detectorAddresses: { outlier: config.outlierAddress, drift: config.driftAddress },
    maxOffPathInFlight: config.maxOffPathInFlight,
    offPathTimeoutMs: config.offPathTimeoutMs,
    maxMatchInputBytes: config.maxMatchInputBytes,
    onMirrorResult: (result) => dataPlane?.recordMirror(result),
    forwardCallerBytes: config.bytePath,
  });

  let started = false;
  let service: RunningService | undefined;
  // Readiness follows the default model-server until it first answers (upstream-readiness.ts).
  const upstream = config.defaultModelServer
    ? new UpstreamReadiness({
        address: config.defaultModelServer,
        intervalMs: config.upstreamCheckIntervalMs,
        probe: (deadlineMs) =>
          new Promise<boolean>((resolve, reject) =>
            clients
              .inference(config.defaultModelServer)
              .serverReady({}, new Metadata(), { deadline: deadlineMs }, (error, response) =>
                error ? reject(error) : resolve(response.ready),
              ),
          ),
        onChange: (state, reason) => {
          const fields = { upstream: config.defaultModelServer, state };
          if (state === 'ready') logger.info(fields, 'default model-server ready');
          else logger.warn({ ...fields, reason }, `default model-server not ready: ${reason}`);
          service?.refreshReadiness();
        },
      })
    : undefined;
  dataPlane = new RouterDataPlane({
    graphs: graphRegistry,
    executor,
    events,
    directory: models,
    defaultTimeoutMs: config.requestTimeoutMs,
    defaultModelAddress: config.defaultModelServer,
    passThrough: config.passThrough,
    identity: { name: `sightline-${SERVICE_NAME}`, version: PACKAGE_VERSION, extensions: [] },
    isReady: () => started && service?.isReady() === true,
    observeRequest: (graph, code, seconds) => metrics.requestFinished(graph, code, seconds),
    maxRequestIdLength: config.maxRequestIdLength,
    // Each event records the lineage of the version that answered (ModelMetadata parameters).
    // The lookup is the router's own background work, not the request's: it runs outside the
    // request's trace context, so no request's trace shows a ModelMetadata call it never made.
    lineage: new ModelLineageCache(
      (target, options) =>
        context.with(ROOT_CONTEXT, async () =>
          lineageOf((await models.modelMetadata(target, options)).parameters),
        ),
      {
        onError: (target, error) =>
          logger.warn(
            {
              model: target.modelName,
              version: target.modelVersion,
              reason: error instanceof Error ? error.message : String(error),
            },
            'model lineage lookup failed; events of this version go without it for now',
          ),
      },
    ),
  });
  const plane = dataPlane;
  const kit: CallKit = { tracer, logger, metrics: new GrpcServerMetrics(registry), traced };
  // Files under --graphs are the operator's and read any variable; documents sent over
  // GraphService read only the allowlisted ones, so a caller cannot read the router's secrets.
  const documentEnv: DocumentEnvironment = {
    values: env,
    allowed: new Set(
      config.graphEnvAllowlist
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
    allowedBy: '--graph-env-allowlist',
  };
  const limits = {
    maxTensors: config.maxTensorsPerRequest,
    maxElementsPerTensor: config.maxElementsPerTensor,
    streamMaxInFlight: STREAM_MAX_IN_FLIGHT,
    maxGraphDocumentBytes: config.maxGraphDocumentBytes,
    maxGraphDocumentAliases: config.maxGraphDocumentAliases,
    maxGraphDocumentDepth: config.maxGraphDocumentDepth,
  };
  service = await runService({
    name: SERVICE_NAME,
    config,
    logger,
    registry,
    tracing: parts.tracing,
    protoFiles: [
      'inference/grpc_service.proto',
      'sightline/router/v1/router.proto',
      'sightline/events/v1/events.proto',
    ],
    serviceNames: [
      'inference.GRPCInferenceService',
      'sightline.router.v1.GraphService',
      'sightline.events.v1.EventService',
    ],
    isReady: () => upstream?.reachedOnce ?? true,
    register: (server) => {
      registerInferenceService(server, kit, plane, limits);
      registerGraphService(server, kit, graphs, limits, documentEnv);
      registerEventService(server, kit, () => history);
    },
    start: async () => {
      await checkDirectorySetting('--data-dir', path.resolve(config.dataDir), false);
      if (config.graphs) await checkDirectorySetting('--graphs', path.resolve(config.graphs), true);
      if (config.events && !parts.events) {
        ({ pipeline, history } = await startEventPipeline(
          {
            dataDir: config.dataDir,
            fileStore: config.eventsFileStore,
            queueCapacity: config.eventQueueCapacity,
            batchLingerMs: config.eventBatchLingerMs,
            cloudEventsUrls: parseCloudEventsUrls(config.eventsCloudeventsUrl),
            ...(config.eventsElasticsearchUrl ? { elasticsearchUrl: config.eventsElasticsearchUrl } : {}),
            historyLimits: {
              maxEventsPerQuery: config.maxEventsPerQuery,
              maxEventsScannedPerQuery: config.maxEventsScannedPerQuery,
              maxConcurrentQueries: config.maxEventQueries,
              maxTails: config.maxEventTails,
              tailBufferEvents: config.eventTailBuffer,
            },
            historySettingNames: {
              maxEventsPerQuery: '--max-events-per-query',
              maxEventsScannedPerQuery: '--max-events-scanned-per-query',
              maxConcurrentQueries: '--max-event-queries',
              maxTails: '--max-event-tails',
              tailBufferEvents: '--event-tail-buffer',
            },
          },
          logger,
          metrics,
        ));
        const lanes = pipeline;
        metrics.eventLanes = () => lanes.stats();
        if (history) {
          const open = history;
          metrics.openEventTails = () => open.openTails;
          logger.info({ store: history.description }, 'EventService reads events');
        }
      }
      if (config.graphs) {
        const directory = path.resolve(config.graphs);
        const results = await loadGraphDirectory(directory, graphs, (text, source) =>
          parseGraphDocument(text, {
            env,
            source,
            maxAliases: config.maxGraphDocumentAliases,
            maxDepth: config.maxGraphDocumentDepth,
          }),
        ).catch((error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT' || error.code === 'ENOTDIR')
            throw new Error(`--graphs ${directory}: no such directory`, { cause: error });
          throw error;
        });
        for (const r of results) {
          if (r.error) logger.error({ file: r.file, graph: r.graph }, r.error);
          else logger.info({ file: r.file, graph: r.graph }, 'graph loaded');
        }
        const failed = results.filter((r) => r.error);
        if (failed.length > 0 && config.strictGraphs) {
          throw new Error(
            `--strict-graphs: ${failed.length} graph file(s) invalid: ${failed.map((f) => f.error).join(' | ')}`,
          );
        }
      }
      const persisted = await graphs.loadPersisted();
      logger.info({ graphs: graphRegistry.names(), persisted }, 'graphs ready');
      started = true;
      upstream?.start();
    },
    // Following tails would hold the shutdown until the grace period ends: end them now.
    beforeDrain: () => history?.close('the router is shutting down'),
    stop: async () => {
      upstream?.stop();
      clients.close();
      await pipeline?.close();
    },
  });
  return Object.assign(service, {
    dataPlane: plane,
    graphs,
    registry,
    pipeline,
    executor,
    events: history,
  });
}
