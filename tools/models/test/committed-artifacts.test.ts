/**
 * Checks the committed files under examples/ as the model-server will meet them: no python
 * needed, only onnxruntime-node and TF.js reading what is in git.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { exampleLayout } from '../src/example-layout.js';
import { CONVNET_ARCHITECTURE, EXAMPLE_MODEL_CONFIGS, IRIS_CONFIG } from '../src/example-models.js';
import {
  accuracy,
  IRIS_CLASS_COUNT,
  IRIS_FEATURE_COUNT,
  type IrisDataset,
  parseIrisCsv,
} from '../src/iris-csv.js';
import { renderConfigYaml } from '../src/model-config.js';
import { SHAPE_SAMPLES } from '../src/shapes/shape-samples.js';
import { SHAPES_TRAINING, shapesAccuracy } from '../src/shapes/shapes-cnn.js';
import { generateShapeSet, SHAPE_CLASSES } from '../src/shapes/shapes-generator.js';
import { decodeGrayPng } from '../src/shapes/shapes-png.js';
import { TFJS_MODEL_JSON, tfjsFileLoadHandler } from '../src/tfjs-model-files.js';

const layout = exampleLayout(fileURLToPath(new URL('../../../', import.meta.url)));
const MIN_IRIS_ACCURACY = 0.9;
/** float32 softmax rows sum to 1 within a few ulps. */
const ROW_SUM_TOLERANCE = 1e-5;

let iris: IrisDataset;
beforeAll(async () => {
  iris = parseIrisCsv(await readFile(layout.irisCsv, 'utf8'));
});

/** `-1` for a symbolic (batch) dimension, the size otherwise: the config.yaml convention. */
function configDims(shape: readonly (number | string)[]): number[] {
  return shape.map((dim) => (typeof dim === 'number' ? dim : -1));
}

function tensorMetadata(meta: ort.InferenceSession.ValueMetadata) {
  if (!meta.isTensor) throw new Error(`${meta.name}: expected a tensor`);
  return { name: meta.name, type: meta.type, shape: configDims(meta.shape) };
}

function expectRowsSumToOne(values: Float32Array, rows: number, columns: number) {
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let k = 0; k < columns; k++) sum += values[row * columns + k]!;
    expect(Math.abs(sum - 1), `row ${row} sums to ${sum}`).toBeLessThan(ROW_SUM_TOLERANCE);
  }
}

describe('examples/data/iris.csv', () => {
  it('holds the 150 iris rows, 50 of each species', () => {
    expect(iris.rowCount).toBe(150);
    const counts = [0, 0, 0];
    for (const label of iris.labels) counts[label]!++;
    expect(counts).toEqual([50, 50, 50]);
    expect(Array.from(iris.features.subarray(0, 4))).toEqual(
      Array.from(new Float32Array([5.1, 3.5, 1.4, 0.2])),
    );
  });
});

describe('config.yaml files', () => {
  it.each(Object.entries(EXAMPLE_MODEL_CONFIGS))(
    '%s/config.yaml is what tools/models generates',
    async (name, config) => {
      expect(await readFile(layout.configFile(name), 'utf8')).toBe(renderConfigYaml(config));
    },
  );
});

describe('examples/models/iris-v2 (ONNX): the shadow candidate', () => {
  it('classifies the iris data with accuracy >= 0.95, answering other probabilities than iris', async () => {
    const run = async (model: string) => {
      const session = await ort.InferenceSession.create(join(layout.versionDir(model), 'model.onnx'));
      const input = new ort.Tensor('float32', iris.features, [iris.rowCount, IRIS_FEATURE_COUNT]);
      const { probabilities } = await session.run({ input });
      await session.release();
      return probabilities!.data as Float32Array;
    };
    const [live, candidate] = [await run('iris'), await run('iris-v2')];
    expectRowsSumToOne(candidate, iris.rowCount, IRIS_CLASS_COUNT);
    expect(accuracy(candidate, iris.labels, IRIS_CLASS_COUNT)).toBeGreaterThanOrEqual(0.95);
    // A real second model: trained apart, its probabilities differ well past float noise.
    const largest = live.reduce((max, p, i) => Math.max(max, Math.abs(p - candidate[i]!)), 0);
    expect(largest).toBeGreaterThan(0.1);
  });
});

describe('examples/models/iris (ONNX)', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(join(layout.versionDir('iris'), 'model.onnx'));
  });

  it('has the signature its config.yaml declares', () => {
    expect(session.inputMetadata.map(tensorMetadata)).toEqual([
      { name: 'input', type: 'float32', shape: [-1, 4] },
    ]);
    expect(session.outputMetadata.map(tensorMetadata)).toEqual([
      { name: 'probabilities', type: 'float32', shape: [-1, 3] },
    ]);
    expect(IRIS_CONFIG.inputs.map((spec) => spec.shape)).toEqual([[-1, 4]]);
  });

  it(`classifies the iris data with accuracy >= ${MIN_IRIS_ACCURACY}, each row a distribution`, async () => {
    const input = new ort.Tensor('float32', iris.features, [iris.rowCount, IRIS_FEATURE_COUNT]);
    const { probabilities } = await session.run({ input });
    expect(probabilities!.dims).toEqual([iris.rowCount, IRIS_CLASS_COUNT]);
    const values = probabilities!.data as Float32Array;
    expectRowsSumToOne(values, iris.rowCount, IRIS_CLASS_COUNT);
    expect(accuracy(values, iris.labels, IRIS_CLASS_COUNT)).toBeGreaterThanOrEqual(MIN_IRIS_ACCURACY);
  });

  it('gives the same answer for a row alone as inside a batch', async () => {
    const row = 120;
    const one = iris.features.slice(row * 4, row * 4 + 4);
    const alone = await session.run({ input: new ort.Tensor('float32', one, [1, 4]) });
    const batch = await session.run({ input: new ort.Tensor('float32', iris.features, [iris.rowCount, 4]) });
    const batchRow = (batch.probabilities!.data as Float32Array).slice(row * 3, row * 3 + 3);
    Array.from(alone.probabilities!.data as Float32Array).forEach((p, k) => {
      expect(p).toBeCloseTo(batchRow[k]!, 6);
    });
  });
});

describe('examples/models/convnet (ONNX)', () => {
  const { imageSize, classes } = CONVNET_ARCHITECTURE;
  const rowSize = 3 * imageSize * imageSize;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(join(layout.versionDir('convnet'), 'model.onnx'));
  });

  it('is under 2 MB on disk', async () => {
    const bytes = await readFile(join(layout.versionDir('convnet'), 'model.onnx'));
    expect(bytes.byteLength).toBeLessThan(2 * 1024 * 1024);
  });

  it('has the signature its config.yaml declares', () => {
    expect(session.inputMetadata.map(tensorMetadata)).toEqual([
      { name: 'image', type: 'float32', shape: [-1, 3, imageSize, imageSize] },
    ]);
    expect(session.outputMetadata.map(tensorMetadata)).toEqual([
      { name: 'logits', type: 'float32', shape: [-1, 10] },
    ]);
    expect(EXAMPLE_MODEL_CONFIGS.convnet!.inputs[0]!.shape).toEqual([-1, 3, imageSize, imageSize]);
  });

  it('answers a batch of 4 with finite logits that differ between images', async () => {
    const rows = 4;
    const data = new Float32Array(rows * rowSize).map((_, i) => Math.sin(i * (1 + Math.floor(i / rowSize))));
    const { logits } = await session.run({
      image: new ort.Tensor('float32', data, [rows, 3, imageSize, imageSize]),
    });
    expect(logits!.dims).toEqual([rows, classes]);
    const values = Array.from(logits!.data as Float32Array);
    expect(values.every(Number.isFinite)).toBe(true);
    expect(values.slice(0, classes)).not.toEqual(values.slice(classes, 2 * classes));
  });
});

describe('examples/models/iris-tfjs (TF.js layers)', () => {
  let model: tf.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await tf.loadLayersModel(
      tfjsFileLoadHandler(join(layout.versionDir('iris-tfjs'), TFJS_MODEL_JSON)),
    );
  });

  it('names its input `input` and its output `probabilities`, as config.yaml serves them', () => {
    // Layer names come from model.json as written; tensor names get a process-wide suffix
    // (`input_1`) once another test file in the same worker has loaded a model.
    expect(model.inputLayers.map((layer) => layer.name)).toEqual(['input']);
    expect(model.inputs.map((t) => [t.shape, t.dtype])).toEqual([[[null, 4], 'float32']]);
    expect(model.outputLayers.map((layer) => layer.name)).toEqual(['probabilities']);
    expect(model.outputs[0]!.shape).toEqual([null, 3]);
  });

  it(`classifies the iris data with accuracy >= ${MIN_IRIS_ACCURACY}, each row a distribution`, () => {
    const x = tf.tensor2d(iris.features, [iris.rowCount, IRIS_FEATURE_COUNT]);
    const y = model.predict(x) as tf.Tensor;
    const values = y.dataSync() as Float32Array;
    tf.dispose([x, y]);
    expectRowsSumToOne(values, iris.rowCount, IRIS_CLASS_COUNT);
    expect(accuracy(values, iris.labels, IRIS_CLASS_COUNT)).toBeGreaterThanOrEqual(MIN_IRIS_ACCURACY);
  });
});

describe('examples/models/shapes (TF.js CNN) and examples/data/shapes', () => {
  /** The committed model's accuracy on held-out generated images: at least this. */
  const MIN_SHAPES_ACCURACY = 0.95;
  /** The committed files stay small, so a clone and `npm start` need no training. */
  const MAX_SHAPES_MODEL_BYTES = 500 * 1024;
  let model: tf.LayersModel;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await tf.loadLayersModel(tfjsFileLoadHandler(join(layout.versionDir('shapes'), TFJS_MODEL_JSON)));
  });

  it('names its input `image` [32, 32, 1] and its output `probabilities` [4], and is small', async () => {
    expect(model.inputs.map((t) => [t.name.split('/')[0], t.shape, t.dtype])).toEqual([
      ['image', [null, 32, 32, 1], 'float32'],
    ]);
    expect(model.outputLayers.map((layer) => layer.name)).toEqual(['probabilities']);
    expect(model.outputs[0]!.shape).toEqual([null, SHAPE_CLASSES.length]);
    const sizes = await Promise.all(
      [TFJS_MODEL_JSON, 'weights.bin'].map(
        async (file) => (await readFile(join(layout.versionDir('shapes'), file))).length,
      ),
    );
    expect(sizes.reduce((a, b) => a + b, 0)).toBeLessThan(MAX_SHAPES_MODEL_BYTES);
  });

  it(`classifies held-out generated images with accuracy >= ${MIN_SHAPES_ACCURACY}`, () => {
    // 400 of the 800 held-out images the build reports on (seed 2): a quarter of the time.
    const heldOut = generateShapeSet(400, SHAPES_TRAINING.testSeed);
    expect(shapesAccuracy(model, heldOut)).toBeGreaterThanOrEqual(MIN_SHAPES_ACCURACY);
  });

  it('classifies every committed sample PNG as the class its name says', async () => {
    const names = SHAPE_CLASSES.flatMap((shape) =>
      Array.from({ length: SHAPE_SAMPLES.perClass }, (_, i) => [shape, `${shape}-${i + 1}.png`] as const),
    );
    const images = await Promise.all(
      names.map(async ([, file]) => decodeGrayPng(await readFile(join(layout.shapesDir, file)))),
    );
    const x = tf.tensor4d(Float32Array.from(images.flatMap((image) => Array.from(image.pixels))), [
      images.length,
      32,
      32,
      1,
    ]);
    const predicted = tf.tidy(() => Array.from((model.predict(x) as tf.Tensor).argMax(1).dataSync()));
    x.dispose();
    expect(predicted.map((index) => SHAPE_CLASSES[index])).toEqual(names.map(([shape]) => shape));
  });
});
