/**
 * The model-server's domain types, shared by the repository, the runtimes, the batcher
 * and the data plane. Plain TypeScript: no protobuf or gRPC types here.
 */
import type { Cancellation } from '@sightline/errors';
import type { Tensor, TensorSpec } from '@sightline/tensor';

/** Where a model runs. `auto` picks the GPU when the node has one, else the CPU. */
export type DeviceKind = 'auto' | 'cpu' | 'gpu';

/**
 * Where a runtime instance executes. onnxruntime-node runs a session synchronously on the
 * calling thread, so a model that computes for milliseconds would stall the event loop
 * (no requests received, no batches formed) while it runs: `worker` gives each instance
 * its own worker thread. `inline` saves the thread hop (~0.1-0.3 ms), which is worth it
 * only for models that compute in microseconds.
 */
export type ExecutionMode = 'inline' | 'worker';

/** Which versions of a model are served (Triton's version_policy). */
export type VersionPolicy =
  | { readonly kind: 'latest'; readonly numVersions: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'specific'; readonly versions: readonly number[] };

/** Dynamic batching settings (Triton's dynamic_batching), with units in the names. */
export interface DynamicBatchingConfig {
  /** How long the first request of a batch may wait for others, in microseconds. */
  readonly maxQueueDelayUs: number;
  /** Batch sizes to cut at as soon as they are reached (empty: cut at max_batch_size). */
  readonly preferredBatchSizes: readonly number[];
  /** Requests waiting at most; one more is refused with RESOURCE_EXHAUSTED at once. */
  readonly maxQueueSize: number;
}

/** A model's resolved configuration: every default written out, validated. */
export interface ModelConfig {
  readonly name: string;
  readonly platform: 'onnx' | 'tfjs';
  /**
   * The largest batch the model accepts along its first dimension; 0 means the model
   * does not batch (inputs are used as given, and dynamic batching is off).
   */
  readonly maxBatchSize: number;
  /** Declared inputs; when absent in the file they are read from the model. */
  readonly inputs: readonly TensorSpec[] | undefined;
  /** Declared outputs; when absent in the file they are read from the model. */
  readonly outputs: readonly TensorSpec[] | undefined;
  /** Dynamic batching, or undefined when off. */
  readonly dynamicBatching: DynamicBatchingConfig | undefined;
  /** How many runtime instances (sessions) serve each version concurrently. */
  readonly instanceCount: number;
  readonly device: DeviceKind;
  /** Where each instance executes; see {@link ExecutionMode}. */
  readonly executionMode: ExecutionMode;
  /**
   * Threads one ONNX execution may use (onnxruntime's intra-op pool); 0 leaves onnxruntime's
   * default (one per core). 1 computes on the calling thread: best for tiny models, whose
   * pool threads would otherwise spin for CPU the server needs.
   */
  readonly intraOpThreads: number;
  readonly versionPolicy: VersionPolicy;
  /**
   * Labels files of classification outputs, by output name (Triton's `label_filename`):
   * one label per line, line i naming class index i. Paths are relative to the model
   * directory.
   */
  readonly labelFiles?: Readonly<Record<string, string>> | undefined;
  /**
   * Provenance of the versions (the config's `lineage`), flattened to dotted keys such as
   * `training_data.hash`; see repository/lineage.ts.
   */
  readonly lineage?: Readonly<Record<string, string>> | undefined;
}

/** One executable instance of a model version (an onnxruntime session, a TF.js model). */
export interface ModelRuntime {
  /** The model's input signatures, with -1 for variable dimensions. */
  readonly inputs: readonly TensorSpec[];
  /** The model's output signatures. */
  readonly outputs: readonly TensorSpec[];
  /**
   * The backend actually in use, e.g. `onnxruntime-cpu`, `onnxruntime-cuda`, `tfjs-wasm`,
   * `tfjs-cpu`, `tfjs-node`, `tfjs-node-gpu`. Logged at load and exported as a metric label.
   */
  readonly backend: string;
  /**
   * Runs the model once. `inputs` holds every model input by name, already validated;
   * only `outputNames` are computed and returned.
   */
  run(inputs: ReadonlyMap<string, Tensor>, outputNames: readonly string[]): Promise<Map<string, Tensor>>;
  /** Frees native resources. The runtime is not used afterwards. */
  dispose(): Promise<void>;
}

/** One inference as the scheduler sees it: validated inputs and the outputs wanted. */
export interface InferenceWork {
  readonly inputs: ReadonlyMap<string, Tensor>;
  readonly outputNames: readonly string[];
  /** Rows along the batch dimension (1 for models with maxBatchSize 0). */
  readonly batchSize: number;
  /** Ends the wait in the queue when the caller gives up or its deadline passes. */
  readonly cancellation?: Cancellation;
}

/** Timings of one inference, in nanoseconds, for statistics, metrics and spans. */
export interface InferenceTimings {
  readonly queueNs: bigint;
  readonly computeInputNs: bigint;
  readonly computeInferNs: bigint;
  readonly computeOutputNs: bigint;
  /** The batch size this request was executed in (its own rows plus others'). */
  readonly executedBatchSize: number;
  /** When the request entered the queue, left it, and when its execution ended (performance.now() ms). */
  readonly enqueuedAtMs: number;
  readonly dispatchedAtMs: number;
  readonly computeEndedAtMs: number;
}

/** The outputs of one inference and how it went. */
export interface InferenceResult {
  readonly outputs: Map<string, Tensor>;
  readonly timings: InferenceTimings;
}

/**
 * Runs inferences on a loaded version's runtime instances: directly, or through the
 * dynamic batcher. One per loaded model version.
 */
export interface InferenceScheduler {
  schedule(work: InferenceWork): Promise<InferenceResult>;
  /** Requests waiting in the queue now. */
  readonly queueDepth: number;
  /** Stops accepting work, finishes everything accepted, then resolves. */
  drain(): Promise<void>;
}

/** Builds the scheduler for a freshly loaded version. */
export type SchedulerFactory = (model: {
  readonly name: string;
  readonly version: string;
  readonly config: ModelConfig;
  readonly runtimes: readonly ModelRuntime[];
}) => InferenceScheduler;

/** Triton's model states, as RepositoryIndex reports them. */
export type ModelState = 'UNAVAILABLE' | 'LOADING' | 'READY' | 'UNLOADING' | 'FAILED';
