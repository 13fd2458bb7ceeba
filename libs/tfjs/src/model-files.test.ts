import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@sightline/errors';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadLayersModelFiles, TFJS_MODEL_FILE_LIMITS } from './model-files.js';

/** Writes a one-layer model (score = 2a + 3b + 1) as model.json + one shard under `shardPath`. */
async function saveLinearModel(dir: string, shardPath = 'group1-shard1of1.bin'): Promise<void> {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
  model.setWeights([tf.tensor2d([[2], [3]]), tf.tensor1d([1])]);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      await mkdir(dir, { recursive: true });
      await writeFile(
        path.join(dir, 'model.json'),
        JSON.stringify({
          format: 'layers-model',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: [shardPath], weights: artifacts.weightSpecs }],
        }),
      );
      if (!shardPath.startsWith('..')) {
        await writeFile(path.join(dir, shardPath), new Uint8Array(artifacts.weightData as ArrayBuffer));
      }
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
}

describe('loadLayersModelFiles', () => {
  let base: string;

  beforeEach(async () => {
    await tf.setBackend('cpu');
    base = await mkdtemp(path.join(tmpdir(), 'tfjs-model-files-'));
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  it('reads model.json and its shard into a layers model that computes as saved', async () => {
    const dir = path.join(base, 'linear', '1');
    await saveLinearModel(dir);
    const model = await loadLayersModelFiles(tf, dir, 'linear');
    const out = model.predict(tf.tensor2d([[1, 1]])) as tf.Tensor;
    expect(Array.from(await out.data())).toEqual([6]);
    out.dispose();
    model.dispose();
  });

  it('refuses a shard path that leaves the version directory, naming the shard', async () => {
    const dir = path.join(base, 'escape', '1');
    await writeFile(path.join(base, 'outside.bin'), new Uint8Array(12));
    await saveLinearModel(dir, '../../outside.bin');
    const load = loadLayersModelFiles(tf, dir, 'escape');
    await expect(load).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(load).rejects.toThrow(/weight shard "\.\.\/\.\.\/outside\.bin".*resolves outside/);
  });

  it('refuses a symlinked shard that points outside', async () => {
    const dir = path.join(base, 'link', '1');
    await saveLinearModel(dir);
    await rm(path.join(dir, 'group1-shard1of1.bin'));
    await writeFile(path.join(base, 'outside.bin'), new Uint8Array(12));
    await symlink(path.join(base, 'outside.bin'), path.join(dir, 'group1-shard1of1.bin'));
    await expect(loadLayersModelFiles(tf, dir, 'link')).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it('answers NotFound for a missing model.json or directory', async () => {
    await mkdir(path.join(base, 'empty', '1'), { recursive: true });
    await expect(loadLayersModelFiles(tf, path.join(base, 'empty', '1'), 'empty')).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(loadLayersModelFiles(tf, path.join(base, 'none', '1'), 'none')).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('holds model.json and the shards to the limits, naming the limit', async () => {
    const dir = path.join(base, 'big', '1');
    await saveLinearModel(dir);
    const smallJson = { ...TFJS_MODEL_FILE_LIMITS, maxModelJsonBytes: 10 };
    await expect(loadLayersModelFiles(tf, dir, 'big', smallJson)).rejects.toBeInstanceOf(
      ResourceExhaustedError,
    );
    const smallWeights = { ...TFJS_MODEL_FILE_LIMITS, maxWeightBytes: 11 };
    await expect(loadLayersModelFiles(tf, dir, 'big', smallWeights)).rejects.toThrow(
      /weight shards hold over 11 bytes, the limit/,
    );
    // Exactly at the limit (3 float32 weights = 12 bytes) loads.
    const exact = await loadLayersModelFiles(tf, dir, 'big', {
      ...TFJS_MODEL_FILE_LIMITS,
      maxWeightBytes: 12,
    });
    exact.dispose();
  });

  it('refuses a graph model and a file that is not a model', async () => {
    const graph = path.join(base, 'graph', '1');
    await mkdir(graph, { recursive: true });
    await writeFile(
      path.join(graph, 'model.json'),
      JSON.stringify({ format: 'graph-model', modelTopology: { node: [] }, weightsManifest: [] }),
    );
    await expect(loadLayersModelFiles(tf, graph, 'graph')).rejects.toBeInstanceOf(FailedPreconditionError);
    const junk = path.join(base, 'junk', '1');
    await mkdir(junk, { recursive: true });
    await writeFile(path.join(junk, 'model.json'), '{"hello": 1}');
    await expect(loadLayersModelFiles(tf, junk, 'junk')).rejects.toThrow(/has no modelTopology/);
  });
});
