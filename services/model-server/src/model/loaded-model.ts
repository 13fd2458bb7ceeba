import type { TensorSpec } from '@sightline/tensor';
import type { InferenceScheduler, ModelConfig, ModelRuntime, ModelState } from './types.js';

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
}

/** The platform name for a config's platform. */
export function platformName(platform: ModelConfig['platform']): PlatformName {
  return platform === 'onnx' ? 'onnxruntime_onnx' : 'tensorflow_js';
}
