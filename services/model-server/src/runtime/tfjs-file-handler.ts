import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@sightline/errors';
import type { TfjsModule } from '@sightline/tfjs';
import type { io } from '@tensorflow/tfjs';
import { MODEL_FILE_NAMES } from '../repository/model-repository.js';
import { resolveInside } from '../repository/safe-path.js';

/** An IOHandler that can always load. */
export interface FileModelHandler extends io.IOHandler {
  load(): Promise<io.ModelArtifacts>;
}

/**
 * A TF.js IOHandler that reads `model.json` and its weight shards from a version directory.
 * It stands in for tfjs-node's `file://` handler, which is absent without tfjs-node. Shard
 * paths come from the model file, so each is resolved and checked to stay inside the
 * version directory.
 */
export function fileModelHandler(tf: TfjsModule, versionDir: string, modelName: string): FileModelHandler {
  const what = `model "${modelName}" ${MODEL_FILE_NAMES.tfjs}`;
  return {
    async load() {
      const file = await resolveInside(versionDir, [MODEL_FILE_NAMES.tfjs], what);
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
        const shards: ArrayBuffer[] = [];
        for (const group of manifest) {
          for (const shardPath of group.paths) {
            const parts = shardPath.split('/').map((part) => decodeURIComponent(part));
            const shardFile = await resolveInside(versionDir, parts, `${what} weight shard "${shardPath}"`);
            const bytes = await readFile(shardFile);
            shards.push(
              bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
            );
          }
        }
        return [tf.io.getWeightSpecs(manifest), shards];
      });
    },
  };
}
