import { IRIS_CLASS_COUNT, IRIS_FEATURE_COUNT } from './iris-csv.js';
import type { ExampleModelConfig } from './model-config.js';
import { SHAPE_CLASSES, SHAPE_IMAGE } from './shapes/shapes-generator.js';

/** The version directory every example is written to. */
export const EXAMPLE_MODEL_VERSION = 1;

/**
 * The convnet's architecture, passed to build_onnx_models.py. Sized on this project's 2-core
 * machine so one batch-1 inference takes about 2-3 ms (quiet machine) with onnxruntime-node's default options,
 * while a batch of 64 costs a fraction of that per row (see examples/models/README.md).
 */
export const CONVNET_ARCHITECTURE = Object.freeze({
  /** Output channels of each Conv 3x3 + Relu + MaxPool 2x2 stage. */
  channels: Object.freeze([16, 32, 64]),
  /** Height and width of the square RGB input. */
  imageSize: 64,
  /** Units of the hidden dense layer (0: none). */
  hidden: 3072,
  /** Rank of the stored factors of the hidden layer's weight. */
  rank: 48,
  classes: 10,
  seed: 0,
});

/**
 * iris: multinomial logistic regression in ONNX. It computes in ~10 µs, less than a thread
 * hop or any queue wait, so it runs inline, on the calling thread alone (no onnxruntime
 * thread pool spinning for the cores the server needs), and batches with no added delay:
 * requests that queue while the instance is busy share its next run.
 */
export const IRIS_CONFIG: ExampleModelConfig = {
  platform: 'onnx',
  maxBatchSize: 64,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, IRIS_FEATURE_COUNT] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, IRIS_CLASS_COUNT] }],
  dynamicBatching: { maxQueueDelayUs: 0, maxQueueSize: 1024 },
  instanceCount: 1,
  device: 'auto',
  executionMode: 'inline',
  intraOpThreads: 1,
  latestVersions: 1,
};

/**
 * iris-v2: the candidate the local stack's `iris` graph shadows (mirrors every request to, its
 * answer logged, never returned): the same logistic regression trained on a seeded half of the
 * rows with stronger regularisation. A model of its own name rather than version 2 of `iris`:
 * the model-server answers a call that names no version with the highest ready one, so a
 * version 2 of `iris` would silently replace the live model for every direct caller.
 */
export const IRIS_V2_TRAINING = Object.freeze({ c: 0.1, subsetFraction: 0.5, subsetSeed: 2 });

/** convnet: the dynamic batching benchmark's model; a longer queue delay pays off per row here. */
export const CONVNET_CONFIG: ExampleModelConfig = {
  platform: 'onnx',
  maxBatchSize: 64,
  inputs: [
    {
      name: 'image',
      datatype: 'FP32',
      shape: [-1, 3, CONVNET_ARCHITECTURE.imageSize, CONVNET_ARCHITECTURE.imageSize],
    },
  ],
  outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, CONVNET_ARCHITECTURE.classes] }],
  dynamicBatching: { maxQueueDelayUs: 2000, preferredBatchSizes: [16, 32, 64], maxQueueSize: 4096 },
  instanceCount: 1,
  device: 'auto',
  latestVersions: 1,
};

/** iris-tfjs: the same task as a TF.js layers model; tfjs configs must declare their tensors. */
export const IRIS_TFJS_CONFIG: ExampleModelConfig = {
  platform: 'tfjs',
  maxBatchSize: 64,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, IRIS_FEATURE_COUNT] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, IRIS_CLASS_COUNT] }],
  instanceCount: 1,
  device: 'auto',
  latestVersions: 1,
};

/** The Kernel SHAP fidelity models' features (build_onnx_models.py `shap-onnx`). */
export const SHAP_MODEL_FEATURES = 10;

/** The Kernel SHAP fidelity models by their build_onnx_models.py `--model` name. */
export const SHAP_MODELS = Object.freeze(['linear', 'interaction', 'threshold'] as const);

/**
 * shap-linear, shap-interaction, shap-threshold: the explainer's Kernel SHAP fidelity models
 * (issue 13). They compute in microseconds and the explainer sends large batches of
 * perturbed rows (up to its rows per call, 1,000 by default), so they run inline, one
 * thread, no batching delay, batches up to 4,096 rows.
 */
export const SHAP_MODEL_CONFIG: ExampleModelConfig = {
  platform: 'onnx',
  maxBatchSize: 4096,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, SHAP_MODEL_FEATURES] }],
  outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 1] }],
  instanceCount: 1,
  device: 'auto',
  executionMode: 'inline',
  intraOpThreads: 1,
  latestVersions: 1,
};

/**
 * shapes: the image example, a small TF.js CNN on 32x32 grayscale shapes (values in [0, 1],
 * channels last, one channel), for Integrated Gradients heatmaps.
 */
export const SHAPES_CONFIG: ExampleModelConfig = {
  platform: 'tfjs',
  maxBatchSize: 64,
  inputs: [{ name: 'image', datatype: 'FP32', shape: [-1, SHAPE_IMAGE.size, SHAPE_IMAGE.size, 1] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, SHAPE_CLASSES.length] }],
  instanceCount: 1,
  device: 'auto',
  latestVersions: 1,
};

/** Every example model by its directory name under examples/models. */
export const EXAMPLE_MODEL_CONFIGS: Readonly<Record<string, ExampleModelConfig>> = Object.freeze({
  iris: IRIS_CONFIG,
  'iris-v2': IRIS_CONFIG,
  convnet: CONVNET_CONFIG,
  'iris-tfjs': IRIS_TFJS_CONFIG,
  ...Object.fromEntries(SHAP_MODELS.map((model) => [`shap-${model}`, SHAP_MODEL_CONFIG])),
  shapes: SHAPES_CONFIG,
});
