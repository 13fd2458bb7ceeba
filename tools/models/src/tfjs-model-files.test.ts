import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  TFJS_MODEL_JSON,
  TFJS_WEIGHTS_BIN,
  tfjsDirSaveHandler,
  tfjsFileLoadHandler,
} from './tfjs-model-files.js';

describe('tfjs model files', () => {
  let dir: string | undefined;
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('saves model.json + weights.bin that load back to the same predictions', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sightline-tfjs-'));
    const input = tf.input({ shape: [2], name: 'x' });
    const output = tf.layers
      .dense({ units: 3, kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }), name: 'y' })
      .apply(input) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    await model.save(tfjsDirSaveHandler(dir));
    expect((await readdir(dir)).sort()).toEqual([TFJS_MODEL_JSON, TFJS_WEIGHTS_BIN]);

    const loaded = await tf.loadLayersModel(tfjsFileLoadHandler(join(dir, TFJS_MODEL_JSON)));
    const x = tf.tensor2d([
      [1, 2],
      [-3, 0.5],
    ]);
    const expected = (model.predict(x) as tf.Tensor).arraySync();
    const actual = (loaded.predict(x) as tf.Tensor).arraySync();
    expect(actual).toEqual(expected);
    expect(loaded.inputs[0]!.shape).toEqual([null, 2]);
    tf.dispose([x, model, loaded] as unknown as tf.TensorContainer);
  });

  it('refuses to load when a weight shard is missing, naming the file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sightline-tfjs-'));
    const input = tf.input({ shape: [1] });
    const model = tf.model({
      inputs: input,
      outputs: tf.layers.dense({ units: 1 }).apply(input) as tf.SymbolicTensor,
    });
    await model.save(tfjsDirSaveHandler(dir));
    await rm(join(dir, TFJS_WEIGHTS_BIN));
    await expect(tf.loadLayersModel(tfjsFileLoadHandler(join(dir, TFJS_MODEL_JSON)))).rejects.toThrow(
      TFJS_WEIGHTS_BIN,
    );
  });
});
