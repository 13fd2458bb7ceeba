import { FailedPreconditionError } from '@sightline/errors';

/**
 * The logging backend selection needs: structured fields first, then the sentence (pino's
 * argument order, so a service's pino logger, or the model-server's Logger, fits as is).
 */
export interface TfjsLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** Where TF.js should run: `auto` takes the GPU where one is detected, `cpu` never does, `gpu` must. */
export type TfjsDevice = 'auto' | 'cpu' | 'gpu';

/** The TensorFlow.js module (`@tensorflow/tfjs`), loaded only when a tfjs model is. */
export type TfjsModule = typeof import('@tensorflow/tfjs');

/** The label of each TF.js backend, as the model-server's runtimes and the autoencoder's training report it. */
export type TfjsBackendLabel = 'tfjs-node-gpu' | 'tfjs-node' | 'tfjs-wasm' | 'tfjs-cpu';

/** The TF.js module with its backend set and ready. */
export interface TfjsBackend {
  readonly tf: TfjsModule;
  readonly label: TfjsBackendLabel;
}

/** What backend selection needs. */
export interface TfjsBackendOptions {
  /** The device asked for (the first tfjs model's, a service's setting); `cpu` skips tfjs-node-gpu, `gpu` requires it. */
  readonly device: TfjsDevice;
  /** Whether the node has a GPU (see {@link detectGpu}). */
  readonly gpuDetected: boolean;
  readonly logger: TfjsLogger;
  /** Loads a module by specifier; injectable so tests can pretend optional packages exist. */
  readonly importModule?: (specifier: string) => Promise<unknown>;
}

/**
 * The optional native packages. They download libtensorflow at install time and so are
 * optional peer dependencies, detected here at run time.
 */
const NODE_GPU_PACKAGE = '@tensorflow/tfjs-node-gpu';
const NODE_PACKAGE = '@tensorflow/tfjs-node';
/** The backend name both native packages register. */
const NATIVE_BACKEND = 'tensorflow';

/**
 * Picks and initialises TF.js's backend, best first: tfjs-node-gpu (only where a GPU is
 * detected), tfjs-node, the wasm backend, then the plain JS cpu backend. Each step that
 * fails is logged with its reason and the next one is tried.
 *
 * TF.js keeps one active backend per process (its engine is global), so callers select once
 * and share the result (the model-server's runtime loader, the autoencoder kind).
 *
 * @throws FailedPreconditionError when `device: gpu` is asked and tfjs-node-gpu cannot be used.
 */
export async function selectTfjsBackend(options: TfjsBackendOptions): Promise<TfjsBackend> {
  const { device, gpuDetected, logger } = options;
  const importModule = options.importModule ?? ((specifier: string) => import(specifier));
  const tf: TfjsModule = await import('@tensorflow/tfjs');
  const tryNative = async (specifier: string, label: TfjsBackendLabel): Promise<TfjsBackend | string> => {
    try {
      await importModule(specifier);
      if (!(await tf.setBackend(NATIVE_BACKEND))) return `backend "${NATIVE_BACKEND}" did not initialise`;
      await tf.ready();
      return { tf, label };
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };

  if (device === 'gpu' || (device === 'auto' && gpuDetected)) {
    const gpu = await tryNative(NODE_GPU_PACKAGE, 'tfjs-node-gpu');
    if (typeof gpu !== 'string') return gpu;
    if (device === 'gpu') {
      throw new FailedPreconditionError(
        `device gpu asked for TF.js, but ${NODE_GPU_PACKAGE} cannot be used (install it as an optional dependency): ${gpu}`,
      );
    }
    logger.warn({ package: NODE_GPU_PACKAGE, reason: gpu }, 'TF.js GPU backend unavailable');
  }
  const native = await tryNative(NODE_PACKAGE, 'tfjs-node');
  if (typeof native !== 'string') return native;
  logger.info({ package: NODE_PACKAGE, reason: native }, 'TF.js native backend not installed, trying wasm');

  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return { tf, label: 'tfjs-wasm' };
    }
    logger.warn({ backend: 'wasm' }, 'TF.js wasm backend did not initialise, falling back to cpu');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.warn({ backend: 'wasm', reason }, 'TF.js wasm backend failed, falling back to cpu');
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, label: 'tfjs-cpu' };
}
