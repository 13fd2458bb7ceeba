import { FailedPreconditionError } from '@sightline/errors';
import { detectGpu, selectTfjsBackend, type TfjsBackend, type TfjsBackendOptions } from '@sightline/tfjs';
import type { Logger } from '../model/logger.js';
import type { DeviceKind, ModelConfig, ModelRuntime } from '../model/types.js';
import { OnnxRuntime } from './onnx-runtime.js';
import { OnnxWorkerRuntime } from './onnx-worker-runtime.js';
import { TfjsRuntime } from './tfjs-runtime.js';

/** Per-load settings. */
export interface LoadRuntimeOptions {
  /** The device to run on: the config's, or the server's override. */
  readonly device: DeviceKind;
  readonly logger: Logger;
}

/**
 * Loads one runtime instance of a model version from its (already resolved and checked)
 * version directory. The model manager depends on this type only, so tests and other
 * runtimes plug in here.
 */
export type RuntimeLoader = (
  config: ModelConfig,
  versionDir: string,
  options: LoadRuntimeOptions,
) => Promise<ModelRuntime>;

/** What the loader needs from its environment; every field has a real default. */
export interface RuntimeLoaderDeps {
  /** Whether the node has a GPU; defaults to {@link detectGpu}. */
  readonly gpuDetected?: boolean;
  /** Loads optional packages by specifier (tfjs-node, tfjs-node-gpu); defaults to `import()`. */
  readonly importModule?: TfjsBackendOptions['importModule'];
}

/**
 * Builds the loader for onnx and tfjs models. The TF.js backend is chosen at the first tfjs
 * load and shared afterwards, because TF.js has one active backend per process; a later
 * model whose device conflicts with it fails its load with the reason.
 */
export function createRuntimeLoader(deps: RuntimeLoaderDeps = {}): RuntimeLoader {
  const gpuDetected = deps.gpuDetected ?? detectGpu();
  let tfjsBackend: Promise<TfjsBackend> | undefined;

  const tfjs = (options: LoadRuntimeOptions): Promise<TfjsBackend> => {
    tfjsBackend ??= selectTfjsBackend({ ...options, gpuDetected, importModule: deps.importModule }).then(
      (backend) => {
        options.logger.info({ backend: backend.label }, 'TF.js backend selected');
        return backend;
      },
      (error: unknown) => {
        // Let a later load try again (e.g. with device auto after a failed device gpu).
        tfjsBackend = undefined;
        throw error;
      },
    );
    return tfjsBackend;
  };

  return async (config, versionDir, options) => {
    if (config.platform === 'onnx') {
      return config.executionMode === 'worker'
        ? OnnxWorkerRuntime.load(config, versionDir, { ...options, gpuDetected })
        : OnnxRuntime.load(config, versionDir, { ...options, gpuDetected });
    }
    const backend = await tfjs(options);
    const onGpu = backend.label === 'tfjs-node-gpu';
    if ((options.device === 'gpu' && !onGpu) || (options.device === 'cpu' && onGpu)) {
      throw new FailedPreconditionError(
        `model "${config.name}": device ${options.device} asked, but TF.js already runs on ${backend.label} in this process (one backend per process)`,
      );
    }
    return TfjsRuntime.load(config, versionDir, backend);
  };
}
