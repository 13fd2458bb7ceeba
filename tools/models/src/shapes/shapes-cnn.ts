import * as tf from '@tensorflow/tfjs';
import { generateShapeSet, SHAPE_CLASSES, SHAPE_IMAGE, type ShapeSet } from './shapes-generator.js';

/** Training settings of the shapes example; fixed so a rebuild gives the same weights on the same backend. */
export const SHAPES_TRAINING = Object.freeze({
  /** Generated training images (balanced) and their seed. */
  trainImages: 1600,
  trainSeed: 1,
  /** Held-out images the reported accuracy is measured on, from another seed. */
  testImages: 800,
  testSeed: 2,
  /**
   * The Conv + ReLU + MaxPool 2x2 stages. The first strides 2: TF.js's pure-JS cpu backend
   * computes convolutions (and their filter gradients) in plain loops, so positions are what
   * training pays for; 32 → 16 → 8 → 4 keeps training to a few CPU minutes.
   */
  stages: Object.freeze([
    Object.freeze({ filters: 8, kernelSize: 5, strides: 2 }),
    Object.freeze({ filters: 16, kernelSize: 3, strides: 1 }),
  ]),
  epochs: 6,
  batchSize: 32,
  learningRate: 0.003,
  /** Seed of the weight initializers. */
  seed: 7,
});

/** What training answers: the model and its accuracy on the held-out images. */
export interface TrainedShapesCnn {
  readonly model: tf.LayersModel;
  readonly trainAccuracy: number;
  readonly testAccuracy: number;
}

/**
 * Builds the shapes CNN: image [32, 32, 1] -> Conv 5x5/2 (8) + ReLU + MaxPool 2x2 -> Conv 3x3
 * (16) + ReLU + MaxPool 2x2 -> Flatten (4 × 4 × 16) -> Dense(4, softmax). Input layer `image`,
 * output layer `probabilities`, the names its config.yaml serves. About 2,400 weights (~10 KB).
 */
export function buildShapesCnn(settings: typeof SHAPES_TRAINING = SHAPES_TRAINING): tf.LayersModel {
  const size = SHAPE_IMAGE.size;
  const input = tf.input({ shape: [size, size, 1], name: 'image' });
  let x: tf.SymbolicTensor = input;
  settings.stages.forEach(({ filters, kernelSize, strides }, stage) => {
    x = tf.layers
      .conv2d({
        filters,
        kernelSize,
        strides,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: settings.seed + stage }),
        name: `conv${stage + 1}`,
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, name: `pool${stage + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: SHAPE_CLASSES.length,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: settings.seed + 100 }),
      name: 'probabilities',
    })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'shapes_cnn' });
}

/**
 * Trains the shapes CNN on generated images on the cpu backend. Deterministic: seeded
 * images and initializers, and `fit` told not to shuffle (its shuffle uses Math.random);
 * the generator already alternates the classes, so every batch is balanced.
 */
export async function trainShapesCnn(
  settings: typeof SHAPES_TRAINING = SHAPES_TRAINING,
): Promise<TrainedShapesCnn> {
  await tf.setBackend('cpu');
  await tf.ready();
  const model = buildShapesCnn(settings);
  model.compile({
    optimizer: tf.train.adam(settings.learningRate),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });
  const train = generateShapeSet(settings.trainImages, settings.trainSeed);
  const test = generateShapeSet(settings.testImages, settings.testSeed);
  const [xs, ys] = shapeTensors(train);
  try {
    await model.fit(xs, ys, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      shuffle: false,
      verbose: 0,
    });
  } finally {
    xs.dispose();
    ys.dispose();
  }
  return { model, trainAccuracy: shapesAccuracy(model, train), testAccuracy: shapesAccuracy(model, test) };
}

/** The fraction of `set`'s images whose most probable class is their label. */
export function shapesAccuracy(model: tf.LayersModel, set: ShapeSet): number {
  const [xs, ys] = shapeTensors(set);
  try {
    const predicted = tf.tidy(() => (model.predict(xs) as tf.Tensor).argMax(1).dataSync());
    let correct = 0;
    set.images.forEach((image, i) => {
      if (predicted[i] === image.label) correct++;
    });
    return correct / set.images.length;
  } finally {
    xs.dispose();
    ys.dispose();
  }
}

/** Images as [n, size, size, 1] and labels as [n, 1]. */
function shapeTensors(set: ShapeSet): [tf.Tensor4D, tf.Tensor2D] {
  const { size, images } = set;
  const pixels = new Float32Array(images.length * size * size);
  for (const [i, image] of images.entries()) pixels.set(image.pixels, i * size * size);
  return [
    tf.tensor4d(pixels, [images.length, size, size, 1]),
    tf.tensor2d(
      Float32Array.from(images, (image) => image.label),
      [images.length, 1],
    ),
  ];
}
