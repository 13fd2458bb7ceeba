import type { TensorSpec } from '@sightline/tensor';
import type {
  DynamicBatchingConfig,
  InferenceScheduler,
  ModelConfig,
  ModelRuntime,
  ModelState,
  VersionPolicy,
} from './types.js';

/** A READY model version, as inference sees it. */
export interface LoadedModelVersion {
  readonly name: string;
  /** The version number as a string, as the protocol carries it. */
  readonly version: string;
  readonly config: ModelConfig;
  /** `config.instanceCount` instances of the model. */
  readonly runtimes: readonly ModelRuntime[];
  readonly scheduler: InferenceScheduler;
  /** The served signatures (the config's where declared, else the model file's). */
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** The runtime backend in use, e.g. `onnxruntime-cpu`, `tfjs-wasm`. */
  readonly backend: string;
  /** Class labels of outputs with a labels file, by output name (for classification). */
  readonly labels: ReadonlyMap<string, readonly string[]>;
  /** Provenance (the version's lineage.yaml, else the config's `lineage`), dotted keys. */
  readonly lineage?: Readonly<Record<string, string>> | undefined;
  /** Where a remote repository's version was fetched from; undefined for a local one. */
  readonly sourceUri?: string | undefined;
}

/** One row of the repository index: a model version (or a model with no version) and its state. */
export interface ModelVersionStatus {
  readonly name: string;
  /** Empty when the model failed before any version was chosen, or was never loaded. */
  readonly version: string;
  readonly state: ModelState;
  /** Why the state is what it is; empty for READY. */
  readonly reason: string;
}

/** The platform names of the V2 metadata response (Triton's spellings). */
export type PlatformName = 'onnxruntime_onnx' | 'tensorflow_js';

/** What ModelMetadata answers. */
export interface ModelMetadata {
  readonly name: string;
  /** The READY versions, ascending. */
  readonly versions: readonly string[];
  readonly platform: PlatformName;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
  /** `source_uri` and `lineage.<key>` of the version, as string parameters. */
  readonly parameters: Readonly<Record<string, string>>;
}

/** An output as the served config describes it. */
export interface ServedOutputConfig extends TensorSpec {
  /** The labels file of a classification output, in the model directory; empty if none. */
  readonly labelFilename: string;
}

/**
 * What ModelConfig answers (Triton's model configuration, in Sightline's terms). Shapes
 * are Triton's `dims`: without the batch dimension when `maxBatchSize > 0`.
 */
export interface ServedModelConfig {
  readonly name: string;
  readonly platform: PlatformName;
  /** Triton's backend name: `onnxruntime` or `tfjs`. */
  readonly backend: 'onnxruntime' | 'tfjs';
  readonly versionPolicy: VersionPolicy;
  readonly maxBatchSize: number;
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly ServedOutputConfig[];
  readonly dynamicBatching: DynamicBatchingConfig | undefined;
  /** One group: `count` instances on the device the version loaded on. */
  readonly instanceGroup: { readonly kind: 'cpu' | 'gpu'; readonly count: number };
}

/** The config of a loaded version, as ModelConfig answers it. */
export function servedConfig(loaded: LoadedModelVersion): ServedModelConfig {
  const { config } = loaded;
  const dims = (spec: TensorSpec): TensorSpec => ({
    name: spec.name,
    datatype: spec.datatype,
    shape: config.maxBatchSize > 0 ? spec.shape.slice(1) : spec.shape,
  });
  return {
    name: loaded.name,
    platform: platformName(config.platform),
    backend: config.platform === 'onnx' ? 'onnxruntime' : 'tfjs',
    versionPolicy: config.versionPolicy,
    maxBatchSize: config.maxBatchSize,
    inputs: loaded.inputs.map(dims),
    outputs: loaded.outputs.map((spec) => ({
      ...dims(spec),
      labelFilename: config.labelFiles?.[spec.name] ?? '',
    })),
    dynamicBatching: config.maxBatchSize > 0 ? config.dynamicBatching : undefined,
    instanceGroup: {
      kind: /cuda|gpu/.test(loaded.backend) ? 'gpu' : 'cpu',
      count: loaded.runtimes.length,
    },
  };
}

/** The platform name for a config's platform. */
export function platformName(platform: ModelConfig['platform']): PlatformName {
  return platform === 'onnx' ? 'onnxruntime_onnx' : 'tensorflow_js';
}
