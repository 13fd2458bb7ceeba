import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeGrayPng, SHAPE_CLASSES } from '@sightline/models/shapes';
import type { Tensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../src/model/logger.js';
import { ModelManager } from '../src/model/model-manager.js';
import type { SchedulerFactory } from '../src/model/types.js';
import { ModelRepository } from '../src/repository/model-repository.js';
import { createRuntimeLoader } from '../src/runtime/runtime-loader.js';

/** The examples repository built by `npm run models` and committed. */
const EXAMPLES = fileURLToPath(new URL('../../../examples/models', import.meta.url));

/** Runs each request on the first runtime; the batcher is not under test here. */
const direct: SchedulerFactory = ({ runtimes }) => ({
  queueDepth: 0,
  async schedule(work) {
    const outputs = await runtimes[0]!.run(work.inputs, work.outputNames);
    const timings = {
      queueNs: 0n,
      computeInputNs: 0n,
      computeInferNs: 0n,
      computeOutputNs: 0n,
      executedBatchSize: work.batchSize,
      enqueuedAtMs: 0,
      dispatchedAtMs: 0,
      computeEndedAtMs: 0,
    };
    return { outputs, timings };
  },
  async drain() {},
});

describe('the example model repository', () => {
  const manager = new ModelManager({
    repository: new ModelRepository(EXAMPLES),
    loadRuntime: createRuntimeLoader({ gpuDetected: false }),
    schedulerFactory: direct,
    logger: silentLogger,
    options: { device: 'cpu', strictStartup: true },
  });

  beforeAll(() => manager.loadAll());
  afterAll(() => manager.shutdown());

  it('loads every example model', async () => {
    const rows = await manager.index();
    expect(rows.map((row) => `${row.name}@${row.version}:${row.state}`)).toEqual([
      'convnet@1:READY',
      'iris@1:READY',
      'iris-tfjs@1:READY',
      'iris-v2@1:READY',
      'shap-interaction@1:READY',
      'shap-linear@1:READY',
      'shap-threshold@1:READY',
      'shapes@1:READY',
    ]);
    expect(manager.metadata('iris').platform).toBe('onnxruntime_onnx');
    expect(manager.metadata('iris-tfjs').platform).toBe('tensorflow_js');
    expect(path.isAbsolute(EXAMPLES)).toBe(true);
  });

  it('answers iris with probabilities from ONNX and TF.js alike', async () => {
    const input: Tensor = {
      name: 'input',
      datatype: 'FP32',
      shape: [2, 4],
      data: new Float32Array([5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3]),
    };
    const probabilities: Float32Array[] = [];
    for (const name of ['iris', 'iris-tfjs']) {
      const { outputs } = await manager.resolve(name).scheduler.schedule({
        inputs: new Map([['input', input]]),
        outputNames: ['probabilities'],
        batchSize: 2,
      });
      const output = outputs.get('probabilities')!;
      expect(output.shape).toEqual([2, 3]);
      const data = output.data as Float32Array;
      for (let row = 0; row < 2; row++) {
        expect(data[row * 3]! + data[row * 3 + 1]! + data[row * 3 + 2]!).toBeCloseTo(1, 5);
      }
      probabilities.push(data);
    }
    // setosa first, virginica second, whichever runtime answers
    const argmax = (data: Float32Array, row: number) => {
      const slice = [...data.subarray(row * 3, row * 3 + 3)];
      return slice.indexOf(Math.max(...slice));
    };
    for (const data of probabilities) expect([argmax(data, 0), argmax(data, 1)]).toEqual([0, 2]);
  });

  it('answers the shapes CNN: each sample PNG of examples/data/shapes as the class its name says', async () => {
    const samples = path.join(EXAMPLES, '..', 'data', 'shapes');
    const names = SHAPE_CLASSES.flatMap((shape) => [1, 2, 3, 4].map((n) => `${shape}-${n}.png`));
    const pixels = new Float32Array(names.length * 32 * 32);
    for (const [i, name] of names.entries()) {
      pixels.set(decodeGrayPng(await readFile(path.join(samples, name))).pixels, i * 32 * 32);
    }
    const { outputs } = await manager.resolve('shapes').scheduler.schedule({
      inputs: new Map([
        ['image', { name: 'image', datatype: 'FP32', shape: [names.length, 32, 32, 1], data: pixels }],
      ]),
      outputNames: ['probabilities'],
      batchSize: names.length,
    });
    const data = outputs.get('probabilities')!.data as Float32Array;
    const predicted = names.map((_, row) => {
      const scores = [...data.subarray(row * 4, row * 4 + 4)];
      return SHAPE_CLASSES[scores.indexOf(Math.max(...scores))];
    });
    expect(predicted).toEqual(names.map((name) => name.split('-')[0]));
  });
});
