import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** The file names tfjs-node's `file://` handler uses, so either side can read the other's output. */
export const TFJS_MODEL_JSON = 'model.json';
/** The single weight shard written next to model.json. */
export const TFJS_WEIGHTS_BIN = 'weights.bin';

/**
 * A save handler that writes `model.json` + `weights.bin` into `dir`: the layout tfjs-node's
 * `file://` handler writes, without needing tfjs-node (it does not install here).
 * Pass it to `model.save(...)`.
 */
export function tfjsDirSaveHandler(dir: string): tf.io.IOHandler {
  return tf.io.withSaveHandler(async (artifacts) => {
    if (artifacts.modelTopology instanceof ArrayBuffer) {
      throw new Error('tfjs save: binary (graph) model topology is not supported, only layers models');
    }
    const weightData = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy ?? '',
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [TFJS_WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    };
    if (artifacts.trainingConfig !== undefined) modelJson.trainingConfig = artifacts.trainingConfig;
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, TFJS_MODEL_JSON), `${JSON.stringify(modelJson, null, 2)}\n`);
    await writeFile(join(dir, TFJS_WEIGHTS_BIN), new Uint8Array(weightData));
    return {
      modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON({ ...artifacts, weightData }),
    };
  });
}

/**
 * A load handler that reads a `model.json` and the weight shards its manifest names, relative
 * to the file. Pass it to `tf.loadLayersModel(...)`.
 */
export function tfjsFileLoadHandler(modelJsonPath: string): tf.io.IOHandler {
  const baseDir = dirname(modelJsonPath);
  return {
    load: async () => {
      const modelJson = JSON.parse(await readFile(modelJsonPath, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const shards: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const bytes = await readFile(join(baseDir, path));
            shards.push(
              bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
            );
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(shards)];
      });
    },
  };
}
