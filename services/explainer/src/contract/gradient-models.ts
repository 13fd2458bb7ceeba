/**
 * The white-box side of Integrated Gradients in the service: the target's TF.js layers model
 * loaded from --repository (the files the model-server serves, read by @sightline/tfjs) as a
 * GradientModel, on one TF.js backend picked at first use, and kept for the next requests.
 */
import { join } from 'node:path';
import { detectGpu, selectTfjsBackend, type TfjsBackend } from '@sightline/tfjs';
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

let backend: Promise<TfjsBackend> | undefined;
const loaded = new Map<string, Promise<TfjsGradientModel>>();

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
  backend ??= selectTfjsBackend({
    device: 'auto',
    gpuDetected: detectGpu(),
    logger: { info: () => {}, warn: () => {} },
  });
  const loading = backend.then((b) =>
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
