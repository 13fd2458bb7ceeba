/**
 * The model-server's one façade over its domain (MLServer's DataPlane): every transport
 * calls these methods and only adapts types. It resolves the model version, validates the
 * request against it, hands the work to the version's scheduler, and records statistics,
 * metrics and the queue/compute spans of each request.
 */
import { performance } from 'node:perf_hooks';
import { type Tracer, trace } from '@opentelemetry/api';
import { errorCode, NotFoundError } from '@sightline/errors';
import type { Tensor } from '@sightline/tensor';
import type {
  LoadedModelVersion,
  ModelMetadata,
  ModelVersionStatus,
  ServedModelConfig,
} from '../model/loaded-model.js';
import type { ModelManager } from '../model/model-manager.js';
import type { ModelMetrics } from '../observability/model-metrics.js';
import type { ModelStatistics, VersionStatistics } from '../observability/model-statistics.js';
import { type LoadParameterValue, parseLoadParameters } from '../repository/load-parameters.js';
import { classify } from './classification.js';
import type { InferCall, InferRequest, InferResponse } from './infer-types.js';
import { validateRequest } from './input-validation.js';

/** The server's identity, for ServerMetadata. */
export interface ServerIdentity {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

/** What the data plane is built from (main.ts wires the real ones; tests may pass their own). */
export interface DataPlaneDeps {
  readonly models: ModelManager;
  readonly statistics: ModelStatistics;
  readonly metrics: ModelMetrics;
  readonly tracer: Tracer;
  readonly identity: ServerIdentity;
  /** True once startup finished and until shutdown begins. */
  readonly isReady: () => boolean;
}

/**
 * A performance.now() timestamp as OpenTelemetry HrTime, on one clock for both phase spans
 * so their order is exact. (Numbers would be corrected by each span's own Date.now()-based
 * offset, which is only millisecond-accurate and could swap sub-millisecond phases.)
 */
function performanceToHrTime(ms: number): [number, number] {
  const epochMs = performance.timeOrigin + ms;
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}

/** The outputs in the order asked, skipping any the model did not produce. */
function outputsInOrder(names: readonly string[], outputs: ReadonlyMap<string, Tensor>): Tensor[] {
  const ordered: Tensor[] = [];
  for (const name of names) {
    const tensor = outputs.get(name);
    if (tensor !== undefined) ordered.push(tensor);
  }
  return ordered;
}

/** The outputs asked as classifications replaced by them (Triton's classification extension). */
function classified(
  outputs: Tensor[],
  classifications: ReadonlyMap<string, number>,
  model: LoadedModelVersion,
): Tensor[] {
  if (classifications.size === 0) return outputs;
  return outputs.map((tensor) => {
    const count = classifications.get(tensor.name);
    if (count === undefined) return tensor;
    return classify(tensor, count, model.config.maxBatchSize > 0, model.labels.get(tensor.name));
  });
}

/** See the file comment. */
export class InferenceDataPlane {
  constructor(private readonly deps: DataPlaneDeps) {}

  live(): boolean {
    return true;
  }

  ready(): boolean {
    return this.deps.isReady();
  }

  modelReady(name: string, version: string): boolean {
    return this.deps.models.isReady(name, version || undefined);
  }

  serverMetadata(): ServerIdentity {
    return this.deps.identity;
  }

  async modelMetadata(name: string, version: string): Promise<ModelMetadata> {
    await this.#serving(name, version);
    return this.deps.models.metadata(name, version || undefined);
  }

  /** A model version's configuration (Triton's ModelConfig); errors as {@link modelMetadata}. */
  async modelConfig(name: string, version: string): Promise<ServedModelConfig> {
    await this.#serving(name, version);
    return this.deps.models.config(name, version || undefined);
  }

  /**
   * The version that serves `name`: NotFoundError for a model neither loaded nor in the
   * repository, UnavailableError for one in the repository but not serving (loading,
   * unloaded, FAILED, never loaded). Only a miss costs more than a map lookup.
   */
  async #serving(name: string, version: string): Promise<LoadedModelVersion> {
    try {
      return this.deps.models.resolve(name, version || undefined);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      return this.deps.models.resolveServing(name, version || undefined);
    }
  }

  /** Runs one inference. Throws the error family's errors; see the contract for which. */
  async infer(request: InferRequest, call: InferCall = {}): Promise<InferResponse> {
    const startNs = process.hrtime.bigint();
    let model: LoadedModelVersion;
    try {
      model = this.deps.models.resolve(request.modelName, request.modelVersion || undefined);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      model = await this.deps.models.resolveServing(request.modelName, request.modelVersion || undefined);
    }
    const metrics = this.deps.metrics.forVersion(model.name, model.version);
    try {
      const work = validateRequest(request, model);
      const result = await model.scheduler.schedule({
        inputs: work.inputs,
        outputNames: work.outputNames,
        batchSize: work.batchSize,
        ...(call.cancellation && { cancellation: call.cancellation }),
      });
      const totalNs = process.hrtime.bigint() - startNs;
      const t = result.timings;
      this.deps.statistics.recordSuccess(model.name, model.version, {
        rows: work.batchSize,
        totalNs,
        queueNs: t.queueNs,
        computeInputNs: t.computeInputNs,
        computeInferNs: t.computeInferNs,
        computeOutputNs: t.computeOutputNs,
      });
      const computeNs = t.computeInputNs + t.computeInferNs + t.computeOutputNs;
      metrics.success(
        work.batchSize,
        Number(totalNs) / 1e9,
        Number(t.queueNs) / 1e9,
        Number(computeNs) / 1e9,
      );
      this.recordPhaseSpans(model, t);
      return {
        modelName: model.name,
        modelVersion: model.version,
        id: request.id,
        parameters: {},
        outputs: classified(outputsInOrder(work.outputNames, result.outputs), work.classifications, model),
      };
    } catch (error) {
      const totalNs = process.hrtime.bigint() - startNs;
      this.deps.statistics.recordFailure(model.name, model.version, totalNs);
      metrics.failure(errorCode(error), Number(totalNs) / 1e9);
      throw error;
    }
  }

  /** The queue wait and the execution as child spans of the active (server) span. */
  private recordPhaseSpans(
    model: LoadedModelVersion,
    t: { enqueuedAtMs: number; dispatchedAtMs: number; computeEndedAtMs: number; executedBatchSize: number },
  ): void {
    const parent = trace.getActiveSpan();
    if (!parent?.isRecording()) return;
    const attributes = {
      'sightline.model.name': model.name,
      'sightline.model.version': model.version,
      'sightline.batch_size': t.executedBatchSize,
    };
    this.deps.tracer
      .startSpan('queue', { startTime: performanceToHrTime(t.enqueuedAtMs), attributes })
      .end(performanceToHrTime(t.dispatchedAtMs));
    this.deps.tracer
      .startSpan('compute', {
        startTime: performanceToHrTime(t.dispatchedAtMs),
        attributes: { ...attributes, 'sightline.backend': model.backend },
      })
      .end(performanceToHrTime(t.computeEndedAtMs));
  }

  /**
   * Statistics of every READY version (zero counts without traffic, as Triton answers) and
   * of every version that had traffic, filtered by `name` and `version` when given.
   */
  async statistics(name: string, version: string): Promise<VersionStatistics[]> {
    const serving = this.deps.models.readyVersions(name || undefined);
    const rows = this.deps.statistics.list(name || undefined, version || undefined, serving);
    // An unknown model or version is NOT_FOUND, as Triton answers; one not serving is
    // UNAVAILABLE with its state.
    if (name && rows.length === 0) await this.#serving(name, version);
    return rows;
  }

  repositoryIndex(readyOnly: boolean): Promise<ModelVersionStatus[]> {
    return this.deps.models.index(readyOnly);
  }

  /** RepositoryModelLoad: `parameters` as the request gave them (see load-parameters.ts). */
  async loadModel(
    name: string,
    parameters: Readonly<Record<string, LoadParameterValue | undefined>> = {},
  ): Promise<void> {
    const { overrideConfigJson } = parseLoadParameters(parameters);
    return this.deps.models.load(name, overrideConfigJson);
  }

  unloadModel(name: string): Promise<void> {
    return this.deps.models.unload(name);
  }
}
