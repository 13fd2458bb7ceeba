import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError } from '@sightline/errors';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeTempRepo, writeFiles } from '../../test/fixtures/temp-repo.js';
import { silentLogger } from '../model/logger.js';
import type { ModelConfig } from '../model/types.js';
import { createRuntimeLoader } from './runtime-loader.js';
import { propagateNaN } from './tfjs-runtime.js';

/**
 * Saves a one-layer model (score = 2*a + 3*b + 1) as model.json + one weight shard, the way
 * the tfjs converter lays it out, through a custom save handler (no tfjs-node here).
 */
async function saveLinearModel(dir: string): Promise<void> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros', biasInitializer: 'zeros' }),
    ],
  });
  model.setWeights([tf.tensor2d([[2], [3]]), tf.tensor1d([1])]);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = artifacts.weightData as ArrayBuffer;
      await writeFiles(dir, {
        'model.json': JSON.stringify({
          format: 'layers-model',
          generatedBy: 'sightline-test',
          modelTopology: artifacts.modelTopology,
          weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: artifacts.weightSpecs }],
        }),
        'group1-shard1of1.bin': new Uint8Array(weightData),
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  model.dispose();
}

const config: ModelConfig = {
  name: 'linear',
  platform: 'tfjs',
  maxBatchSize: 8,
  inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 2] }],
  outputs: [{ name: 'score', datatype: 'FP32', shape: [-1, 1] }],
  dynamicBatching: undefined,
  instanceCount: 1,
  device: 'auto',
  executionMode: 'inline',
  intraOpThreads: 0,
  versionPolicy: { kind: 'latest', numVersions: 1 },
};

describe('TfjsRuntime', () => {
  let base: string;
  let root: string;
  let cleanup: () => Promise<void>;
  const load = createRuntimeLoader({ gpuDetected: false });
  const options = { device: 'auto' as const, logger: silentLogger };

  beforeEach(async () => {
    ({ base, root, cleanup } = await makeTempRepo());
    await saveLinearModel(path.join(root, 'linear/1'));
  });

  afterEach(() => cleanup());

  it('loads a layers model from files and runs it on the wasm (or cpu) backend', async () => {
    const runtime = await load(config, path.join(root, 'linear/1'), options);
    try {
      expect(['tfjs-wasm', 'tfjs-cpu']).toContain(runtime.backend);
      expect(runtime.backend).toBe(`tfjs-${tf.getBackend()}`);
      expect(runtime.inputs).toEqual(config.inputs);
      const outputs = await runtime.run(
        new Map([
          [
            'features',
            {
              name: 'features',
              datatype: 'FP32',
              shape: [3, 2],
              data: new Float32Array([0, 0, 1, 1, 2, -1]),
            },
          ],
        ]),
        ['score'],
      );
      expect(outputs.get('score')).toEqual({
        name: 'score',
        datatype: 'FP32',
        shape: [3, 1],
        data: new Float32Array([1, 6, 2]),
      });
    } finally {
      await runtime.dispose();
    }
  });

  it('does not leak tensors across runs', async () => {
    const runtime = await load(config, path.join(root, 'linear/1'), options);
    const input = new Map([
      [
        'features',
        { name: 'features', datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([1, 2]) },
      ],
    ]);
    await runtime.run(input, ['score']);
    const before = tf.memory().numTensors;
    await runtime.run(input, ['score']);
    expect(tf.memory().numTensors).toBe(before);
    await runtime.dispose();
  });

  it('fails the load when the config does not fit the model', async () => {
    const wrong: ModelConfig = {
      ...config,
      inputs: [
        { name: 'a', datatype: 'INT32', shape: [-1, 3] },
        { name: 'b', datatype: 'FP32', shape: [-1, 2] },
      ],
    };
    const error = await load(wrong, path.join(root, 'linear/1'), options).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    // TF.js numbers generated layer names per process, hence the pattern for the tensor name.
    expect((error as Error).message).toMatch(
      /^model "linear": config disagrees with the model: the config declares 2 inputs, the model has 1; inputs "a" \(model tensor "\w+"\): config says INT32, the model has float32; inputs "a" \(model tensor "\w+"\): config shape \[-1, 3\] does not fit the model's \[-1, 2\]$/,
    );
  });

  it('refuses datatypes TF.js cannot hold', async () => {
    await expect(
      load(
        { ...config, outputs: [{ name: 'score', datatype: 'FP64', shape: [-1, 1] }] },
        path.join(root, 'linear/1'),
        options,
      ),
    ).rejects.toThrow(
      'tensor "score": datatype FP64 is not supported by TF.js (use FP32, INT32, BOOL or BYTES)',
    );
  });

  it('refuses weight shards outside the version directory', async () => {
    const modelJson = path.join(root, 'linear/1/model.json');
    const json = JSON.parse(await import('node:fs/promises').then((fs) => fs.readFile(modelJson, 'utf8')));
    await writeFile(path.join(base, 'stolen.bin'), new Uint8Array(12));
    json.weightsManifest[0].paths = ['../../../stolen.bin'];
    await writeFile(modelJson, JSON.stringify(json));
    await expect(load(config, path.join(root, 'linear/1'), options)).rejects.toThrow(
      /symlinks must stay inside it/,
    );
  });

  it('fails the load of a corrupt model.json with the reason', async () => {
    await writeFile(path.join(root, 'linear/1/model.json'), '{ not json');
    await expect(load(config, path.join(root, 'linear/1'), options)).rejects.toThrow(
      /^model "linear" model.json: not valid JSON: /,
    );
  });
});

describe('propagateNaN (the NaN policy every runtime follows)', () => {
  it('sets every floating-point output of a row with a NaN input to NaN, per row when batched', () => {
    const inputs = new Map([
      [
        'x',
        {
          name: 'x',
          datatype: 'FP32' as const,
          shape: [3, 2],
          data: new Float32Array([1, 2, Number.NaN, 4, 5, 6]),
        },
      ],
    ]);
    const y = {
      name: 'y',
      datatype: 'FP32' as const,
      shape: [3, 2],
      data: new Float32Array([1, 1, 2, 2, 3, 3]),
    };
    const k = { name: 'k', datatype: 'INT32' as const, shape: [3], data: new Int32Array([7, 8, 9]) };
    propagateNaN(
      inputs,
      new Map<string, typeof y | typeof k>([
        ['y', y],
        ['k', k],
      ]),
      true,
    );
    expect([...y.data]).toEqual([1, 1, Number.NaN, Number.NaN, 3, 3]);
    expect([...k.data]).toEqual([7, 8, 9]);

    const whole = { name: 'y', datatype: 'FP32' as const, shape: [2], data: new Float32Array([1, 2]) };
    propagateNaN(inputs, new Map([['y', whole]]), false);
    expect([...whole.data]).toEqual([Number.NaN, Number.NaN]);
  });

  it('leaves outputs alone when no input holds NaN (infinities pass as computed)', () => {
    const inputs = new Map([
      ['x', { name: 'x', datatype: 'FP32' as const, shape: [1, 2], data: new Float32Array([Infinity, 1]) }],
    ]);
    const y = { name: 'y', datatype: 'FP32' as const, shape: [1, 1], data: new Float32Array([Infinity]) };
    propagateNaN(inputs, new Map([['y', y]]), true);
    expect([...y.data]).toEqual([Infinity]);
  });
});
