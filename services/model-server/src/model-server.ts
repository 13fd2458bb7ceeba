/**
 * The composition root of the model-server: builds every part from the config and wires
 * them. No logic lives here beyond choosing parts; `main.ts` adds the process concerns
 * (environment, signals), and tests and the CLI call `startModelServer` directly.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  type CallKit,
  checkDirectorySetting,
  DataDirLock,
  GrpcServerMetrics,
  type Logger,
  type RunningService,
  runService,
} from '@sightline/service-kit';
import { createMetricsRegistry, type Tracing } from '@sightline/telemetry';
import { detectGpu } from '@sightline/tfjs';
import type { Registry } from 'prom-client';
import { DynamicBatcher } from './batching/dynamic-batcher.js';
import type { ModelServerConfig } from './config.js';
import { InferenceDataPlane } from './inference/data-plane.js';
import { platformName } from './model/loaded-model.js';
import { ModelManager } from './model/model-manager.js';
import type { SchedulerFactory } from './model/types.js';
import { ModelMetrics } from './observability/model-metrics.js';
import { ModelStatistics } from './observability/model-statistics.js';
import { repositoryMetrics } from './observability/repository-metrics.js';
import { ModelRepository } from './repository/model-repository.js';
import { createObjectSource, defaultCacheDir } from './repository/remote/create-source.js';
import { parseRepositoryLocation } from './repository/remote/repository-location.js';
import { CACHE_LOCK_FILE, RepositoryMirror } from './repository/remote/repository-mirror.js';
import { RepositoryPoller } from './repository/remote/repository-poller.js';
import { createRuntimeLoader } from './runtime/index.js';
import { registerInferenceService } from './server.js';

const SERVICE_NAME = 'model-server';
const { version: PACKAGE_VERSION } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The extensions this server implements, as Triton names them in ServerMetadata. */
export const EXTENSIONS = [
  'model_repository',
  'model_configuration',
  'classification',
  'statistics',
  'binary_tensor_data',
] as const;

/** Parts a caller may supply; everything else is built from the config. */
export interface ModelServerParts {
  readonly logger: Logger;
  readonly tracing?: Tracing;
  readonly registry?: Registry;
}

/** A started model-server. */
export interface ModelServerHandle extends RunningService {
  readonly dataPlane: InferenceDataPlane;
  readonly registry: Registry;
}

/** Starts a model-server: ports bound, models loaded, ready to serve. */
export async function startModelServer(
  config: ModelServerConfig,
  parts: ModelServerParts,
): Promise<ModelServerHandle> {
  const { logger } = parts;
  const registry = parts.registry ?? createMetricsRegistry({ serviceName: SERVICE_NAME });
  const tracer =
    parts.tracing?.tracerFor('sightline.model-server') ??
    (await import('@opentelemetry/api')).trace.getTracer('sightline.model-server');
  const statistics = new ModelStatistics();

  let models: ModelManager | undefined;
  const metrics = new ModelMetrics(registry, async () => {
    if (!models) return [];
    const rows = await models.index(true);
    return rows.map((row) => {
      const loaded = models!.resolve(row.name, row.version);
      return {
        name: loaded.name,
        version: loaded.version,
        platform: platformName(loaded.config.platform),
        backend: loaded.backend,
        device: loaded.config.device,
        queueDepth: loaded.scheduler.queueDepth,
      };
    });
  });

  const schedulerFactory: SchedulerFactory = ({ name, version, config: modelConfig, runtimes }) => {
    const batching = modelConfig.dynamicBatching;
    const versionMetrics = metrics.forVersion(name, version);
    return new DynamicBatcher(
      runtimes,
      {
        label: `model "${name}" version ${version}`,
        maxBatchSize: modelConfig.maxBatchSize,
        batching: batching !== undefined && modelConfig.maxBatchSize > 0,
        maxQueueDelayUs: batching?.maxQueueDelayUs ?? 0,
        preferredBatchSizes: batching?.preferredBatchSizes ?? [],
        maxQueueSize: batching?.maxQueueSize ?? config.defaultMaxQueueSize,
      },
      (execution) => {
        if (execution.failed) return;
        statistics.recordExecution(name, version, execution);
        versionMetrics.execution(execution.batchSize);
      },
    );
  };

  // A remote repository is mirrored into a local cache, which is then read as a directory.
  const location = parseRepositoryLocation(config.repository);
  let mirror: RepositoryMirror | undefined;
  let poller: RepositoryPoller | undefined;
  let destroySource: (() => void) | undefined;
  // One server per cache; a local repository is only read, so it takes no lock.
  let cacheLock: DataDirLock | undefined;
  if (location.kind !== 'local') {
    const source = await createObjectSource(
      location,
      { endpoint: config.s3Endpoint, region: config.s3Region, forcePathStyle: config.s3ForcePathStyle },
      config.repositoryListTimeoutMs,
    );
    destroySource = source.destroy?.bind(source);
    mirror = new RepositoryMirror({
      source,
      cacheDir: config.repositoryCacheDir ?? defaultCacheDir(location.uri),
      maxBytes: config.repositoryCacheMaxBytes,
      downloadTimeoutMs: config.repositoryDownloadTimeoutMs,
      isServed: (name, version) => models?.holdsVersion(name, version) ?? false,
      observer: repositoryMetrics(registry),
      lock: async (cacheDir) => {
        cacheLock = await DataDirLock.acquire(cacheDir, {
          service: SERVICE_NAME,
          flag: '--repository-cache-dir',
          logger,
          lockFile: CACHE_LOCK_FILE,
        });
      },
    });
  }
  const repositoryRoot = mirror?.root ?? path.resolve(location.kind === 'local' ? location.path : '.');
  models = new ModelManager({
    repository: new ModelRepository(repositoryRoot),
    remote: mirror && {
      fetchModel: (name) => mirror.syncModel(name),
      problems: () => mirror.problems(),
      sourceUri: (name, version) => `${mirror.source.uri}${name}/${version}/`,
    },
    loadRuntime: createRuntimeLoader(),
    schedulerFactory,
    logger,
    options: {
      instanceCount: config.instanceCount,
      device: config.device,
      strictStartup: config.strictStartup,
    },
  });

  let started = false;
  const dataPlane = new InferenceDataPlane({
    models,
    statistics,
    metrics,
    tracer,
    identity: { name: `sightline-${SERVICE_NAME}`, version: PACKAGE_VERSION, extensions: EXTENSIONS },
    isReady: () => started && service?.isReady() === true,
  });
  const kit: CallKit = {
    tracer,
    logger,
    metrics: new GrpcServerMetrics(registry),
    // A leaf: with no exporter its spans go nowhere and it forwards no trace context.
    // (Without `parts.tracing` the caller owns the global tracer, so spans stay on.)
    traced: parts.tracing?.exporter.kind !== 'none',
  };

  /** Fetches the repository (a remote one into the cache) and loads the models. */
  const startServing = async (): Promise<void> => {
    if (mirror === undefined) {
      // A wrong path stops the start naming the flag, not as every model's NOT_FOUND later.
      await checkDirectorySetting('--repository', repositoryRoot, true);
    } else {
      await mirror.open();
      logger.info({ repository: mirror.source.uri, cache: mirror.root }, 'fetching the model repository');
      // An unreachable repository still starts: what the cache holds serves, the reason
      // shows in RepositoryIndex, and the polls retry.
      await mirror.sync().catch((error: unknown) => {
        logger.error(
          { repository: mirror.source.uri, reason: error instanceof Error ? error.message : String(error) },
          'model repository unreachable; serving what the cache holds',
        );
      });
    }
    logger.info(
      { repository: mirror?.source.uri ?? repositoryRoot, gpuDetected: detectGpu() },
      'loading models',
    );
    const result = await models!.loadAll();
    logger.info({ loaded: result.loaded, failed: result.failed }, 'models loaded');
    if (mirror !== undefined) {
      poller = new RepositoryPoller(
        {
          sync: () => mirror.sync(),
          reload: (name) => models!.load(name, undefined, { fetch: false }),
          unload: (name) => models!.unload(name),
          logger,
        },
        config.repositoryPollIntervalMs,
      );
      poller.start();
    }
    started = true;
  };

  let service: RunningService | undefined;
  service = await runService({
    name: SERVICE_NAME,
    config,
    logger,
    registry,
    tracing: parts.tracing,
    protoFiles: ['inference/grpc_service.proto'],
    serviceNames: ['inference.GRPCInferenceService'],
    register: (server) =>
      registerInferenceService(server, kit, dataPlane, {
        tensorDecode: {
          maxTensors: config.maxTensorsPerRequest,
          maxElementsPerTensor: config.maxElementsPerTensor,
        },
        streamMaxInFlight: config.streamMaxInFlight,
      }),
    start: async () => {
      try {
        await startServing();
      } catch (error) {
        // A start that fails leaves the cache free for the next one.
        await cacheLock?.release();
        throw error;
      }
    },
    stop: async () => {
      await poller?.stop();
      await models!.shutdown();
      destroySource?.();
      await cacheLock?.release();
    },
  });
  return Object.assign(service, { dataPlane, registry });
}
