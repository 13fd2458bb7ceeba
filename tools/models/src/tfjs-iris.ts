import * as tf from '@tensorflow/tfjs';
import { IRIS_CLASS_COUNT, IRIS_FEATURE_COUNT, type IrisDataset } from './iris-csv.js';

/** Training settings of the iris-tfjs example; fixed so a rebuild gives the same weights. */
export const IRIS_TFJS_TRAINING = Object.freeze({
  hiddenUnits: 8,
  epochs: 100,
  batchSize: 32,
  learningRate: 0.05,
  seed: 42,
});

/**
 * Builds and trains the iris MLP (Dense(8, relu) -> Dense(3, softmax)) on the cpu backend.
 * The input layer is named `input` and the output layer `probabilities`, the names its
 * config.yaml serves. Deterministic: seeded initializers, rows shuffled once with a seeded
 * generator, and `fit` told not to shuffle (its shuffle uses Math.random).
 */
export async function trainIrisTfjs(
  data: IrisDataset,
  settings: typeof IRIS_TFJS_TRAINING = IRIS_TFJS_TRAINING,
): Promise<tf.LayersModel> {
  await tf.setBackend('cpu');
  await tf.ready();
  const input = tf.input({ shape: [IRIS_FEATURE_COUNT], name: 'input' });
  const hidden = tf.layers
    .dense({
      units: settings.hiddenUnits,
      activation: 'relu',
      kernelInitializer: tf.initializers.heNormal({ seed: settings.seed }),
      name: 'hidden',
    })
    .apply(input) as tf.SymbolicTensor;
  const output = tf.layers
    .dense({
      units: IRIS_CLASS_COUNT,
      activation: 'softmax',
      kernelInitializer: tf.initializers.glorotUniform({ seed: settings.seed + 1 }),
      name: 'probabilities',
    })
    .apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: 'iris_mlp' });
  model.compile({
    optimizer: tf.train.adam(settings.learningRate),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });

  const order = seededPermutation(data.rowCount, settings.seed);
  const features = new Float32Array(data.features.length);
  const labels = new Float32Array(data.rowCount);
  order.forEach((from, to) => {
    features.set(
      data.features.subarray(from * IRIS_FEATURE_COUNT, (from + 1) * IRIS_FEATURE_COUNT),
      to * IRIS_FEATURE_COUNT,
    );
    labels[to] = data.labels[from]!;
  });
  const xs = tf.tensor2d(features, [data.rowCount, IRIS_FEATURE_COUNT]);
  const ys = tf.tensor2d(labels, [data.rowCount, 1]);
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
  return model;
}

/** A Fisher-Yates permutation of 0..n-1 driven by mulberry32, a small seeded generator. */
export function seededPermutation(n: number, seed: number): number[] {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}
