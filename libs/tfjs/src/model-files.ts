import { readFile, realpath, stat } from 'node:fs/promises';
import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import type { io, LayersModel } from '@tensorflow/tfjs';
import { filesystemError, resolveInside } from './contained-path.js';
import type { TfjsModule } from './tfjs-backend.js';

/** The model file of a TF.js version directory (what tfjs-node's `file://` handler and the converter write). */
export const TFJS_MODEL_FILE = 'model.json';

/** How much a TF.js model's files may hold before loading refuses them (they are read whole into memory). */
export interface TfjsModelFileLimits {
  /** The largest model.json, in bytes. */
  readonly maxModelJsonBytes: number;
  /** The most bytes of weight shards, all shards together. */
  readonly maxWeightBytes: number;
}

/**
 * Defaults: a model.json of 32 MiB holds the topology of any converted Keras model (the
 * topology is small; the weights are in shards), and 2 GiB of weights is the most an
 * ArrayBuffer-backed TF.js load handles comfortably in one process.
 */
export const TFJS_MODEL_FILE_LIMITS: TfjsModelFileLimits = Object.freeze({
  maxModelJsonBytes: 32 * 1024 * 1024,
  maxWeightBytes: 2 * 1024 * 1024 * 1024,
});

/** An IOHandler that can always load. */
export interface FileModelHandler extends io.IOHandler {
  load(): Promise<io.ModelArtifacts>;
}

/**
 * A TF.js IOHandler that reads `model.json` and its weight shards from a version directory:
 * the one way the model-server (to serve) and the explainer (for gradients) read TF.js
 * models. It stands in for tfjs-node's `file://` handler, which is absent without tfjs-node.
 * Shard paths come from the model file, so each is resolved and checked to stay inside the
 * version directory; model.json and the shards together must fit `limits`.
 *
 * @param versionDir - the version directory (resolved through symlinks here).
 * @throws (from load) NotFoundError for missing files; InvalidArgumentError for a file that
 *   is not a TF.js model or a path that leaves the directory; ResourceExhaustedError over a limit.
 */
export function fileModelHandler(
  tf: TfjsModule,
  versionDir: string,
  modelName: string,
  limits: TfjsModelFileLimits = TFJS_MODEL_FILE_LIMITS,
): FileModelHandler {
  const what = `model "${modelName}" ${TFJS_MODEL_FILE}`;
  return {
    async load() {
      let root: string;
      try {
        root = await realpath(versionDir);
      } catch (error) {
        throw filesystemError(error, 'the version directory', `model "${modelName}"`);
      }
      const file = await resolveInside(root, [TFJS_MODEL_FILE], what);
      const jsonBytes = (await stat(file)).size;
      if (jsonBytes > limits.maxModelJsonBytes) {
        throw new ResourceExhaustedError(
          `${what}: ${jsonBytes} bytes, over the limit of ${limits.maxModelJsonBytes}`,
        );
      }
      let json: io.ModelJSON;
      try {
        json = JSON.parse(await readFile(file, 'utf8')) as io.ModelJSON;
      } catch (error) {
        throw new InvalidArgumentError(`${what}: not valid JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (typeof json !== 'object' || json === null || json.modelTopology === undefined) {
        throw new InvalidArgumentError(`${what}: has no modelTopology; is it a TF.js model?`);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const shardFiles: string[] = [];
        let weightBytes = 0;
        for (const group of manifest) {
          for (const shardPath of group.paths) {
            const parts = shardPath.split('/').map((part) => decodeURIComponent(part));
            const shardFile = await resolveInside(root, parts, `${what} weight shard "${shardPath}"`);
            weightBytes += (await stat(shardFile)).size;
            if (weightBytes > limits.maxWeightBytes) {
              throw new ResourceExhaustedError(
                `${what}: weight shards hold over ${limits.maxWeightBytes} bytes, the limit`,
              );
            }
            shardFiles.push(shardFile);
          }
        }
        const shards: ArrayBuffer[] = [];
        for (const shardFile of shardFiles) {
          const bytes = await readFile(shardFile);
          shards.push(
            bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
          );
        }
        return [tf.io.getWeightSpecs(manifest), shards];
      });
    },
  };
}

/**
 * Reads a TF.js layers model from a version directory (see {@link fileModelHandler}) into a
 * `tf.LayersModel` on the already selected backend. The caller disposes it.
 *
 * @throws FailedPreconditionError for a graph model (no layers to differentiate or train);
 *   InvalidArgumentError when TF.js cannot build the model from its files; and what
 *   {@link fileModelHandler} throws.
 */
export async function loadLayersModelFiles(
  tf: TfjsModule,
  versionDir: string,
  modelName: string,
  limits: TfjsModelFileLimits = TFJS_MODEL_FILE_LIMITS,
): Promise<LayersModel> {
  const artifacts = await fileModelHandler(tf, versionDir, modelName, limits).load();
  if (artifacts.format === 'graph-model') {
    throw new FailedPreconditionError(
      `model "${modelName}" is a TF.js graph model; only layers models can be loaded here`,
    );
  }
  try {
    return await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (error) {
    throw new InvalidArgumentError(
      `model "${modelName}": ${TFJS_MODEL_FILE} cannot be loaded by TF.js: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
