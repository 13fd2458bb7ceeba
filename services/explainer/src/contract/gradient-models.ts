/**
 * The white-box side of Integrated Gradients in the service: the target's TF.js layers model
 * loaded from --repository (the files the model-server serves, read by @sightline/tfjs) as a
 * GradientModel, on one TF.js backend picked at first use, and kept for the next requests.
 */
import { join } from 'node:path';
import {
  detectGpu,
  selectTfjsBackend,
  type TfjsBackend,
  type TfjsDevice,
  type TfjsLogger,
} from '@sightline/tfjs';
import type { GradientModel } from '../methods/gradient-model.js';
import { TfjsGradientModel } from '../methods/integrated-gradients/index.js';
import type { LocalMethod } from '../methods/method.js';

/** Loaded models kept at most (oldest dropped and disposed first). */
export const MAX_LOADED_GRADIENT_MODELS = 8;

/** Where a target's TF.js files are. */
export interface GradientModelFiles {
  readonly versionDir: string;
  readonly modelName: string;
}

/** Where the gradients run (--device) and where backend selection logs; set at start. */
interface GradientBackendSettings {
  readonly device: TfjsDevice;
  readonly logger: TfjsLogger;
}

const SILENT: TfjsLogger = { info: () => {}, warn: () => {} };
let settings: GradientBackendSettings = { device: 'auto', logger: SILENT };
let backend: Promise<TfjsBackend> | undefined;
const loaded = new Map<string, Promise<TfjsGradientModel>>();

/**
 * Sets the device (the explainer's --device) for the TF.js backend picked at the first
 * Integrated Gradients call. TF.js has one backend per process, so this is process-wide, as
 * the backend is; it forgets a backend and models picked under earlier settings.
 */
export function configureGradientBackend(device: TfjsDevice, logger: TfjsLogger = SILENT): void {
  settings = { device, logger };
  backend = undefined;
  for (const model of loaded.values()) model.then((m) => m.dispose()).catch(() => {});
  loaded.clear();
}

/**
 * The TF.js backend for gradients, picked once. A failed pick (device gpu without
 * tfjs-node-gpu: FAILED_PRECONDITION naming the package) is not kept, so every call answers
 * it and a fixed pod needs no restart of this module's state.
 */
function gradientBackend(): Promise<TfjsBackend> {
  if (!backend) {
    const picking = selectTfjsBackend({
      device: settings.device,
      gpuDetected: detectGpu(),
      logger: settings.logger,
    });
    backend = picking;
    picking.catch(() => {
      if (backend === picking) backend = undefined;
    });
  }
  return backend;
}

/** The files of `modelName`'s newest listed version under `repository`, for a TF.js target; else undefined. */
export function gradientModelFiles(
  repository: string | undefined,
  metadata: { readonly name: string; readonly platform: string; readonly versions: readonly string[] },
): GradientModelFiles | undefined {
  if (repository === undefined || metadata.platform !== 'tensorflow_js' || metadata.versions.length === 0) {
    return undefined;
  }
  const version = [...metadata.versions].sort((a, b) => Number(b) - Number(a))[0]!;
  return { versionDir: join(repository, metadata.name, version), modelName: metadata.name };
}

/** The loaded model of `files` (loaded once; a failed load is not kept). */
export function loadGradientModel(files: GradientModelFiles): Promise<GradientModel> {
  const cached = loaded.get(files.versionDir);
  if (cached) return cached;
  const loading = gradientBackend().then((b) =>
    TfjsGradientModel.load(b, files.versionDir, { modelName: files.modelName }),
  );
  loaded.set(files.versionDir, loading);
  loading.catch(() => loaded.delete(files.versionDir));
  while (loaded.size > MAX_LOADED_GRADIENT_MODELS) {
    const [oldest, model] = loaded.entries().next().value!;
    loaded.delete(oldest);
    model.then((m) => m.dispose()).catch(() => {});
  }
  return loading;
}

/** `method` with the context's gradients set from `params.modelFiles` when it asks for the model's own gradients. */
export function withGradientModel<
  P extends { readonly modelFiles?: GradientModelFiles; readonly gradientSource: string },
  R,
>(method: LocalMethod<P, R>): LocalMethod<P, R> {
  return {
    metaName: method.metaName,
    modelAccess: method.modelAccess,
    async explainRow(instance, params, context) {
      if (params.gradientSource !== 'model' || params.modelFiles === undefined || context.gradients) {
        return method.explainRow(instance, params, context);
      }
      const gradients = await loadGradientModel(params.modelFiles);
      return method.explainRow(instance, params, { ...context, gradients });
    },
  };
}
