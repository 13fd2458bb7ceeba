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
import { ModelRepository } from './repository/model-repository.js';
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

  const repositoryRoot = path.resolve(config.repository);
  models = new ModelManager({
    repository: new ModelRepository(repositoryRoot),
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
      // A wrong path stops the start naming the flag, not as every model's NOT_FOUND later.
      await checkDirectorySetting('--repository', repositoryRoot, true);
      logger.info({ repository: repositoryRoot, gpuDetected: detectGpu() }, 'loading models');
      const result = await models!.loadAll();
      logger.info({ loaded: result.loaded, failed: result.failed }, 'models loaded');
      started = true;
    },
    stop: () => models!.shutdown(),
  });
  return Object.assign(service, { dataPlane, registry });
}
