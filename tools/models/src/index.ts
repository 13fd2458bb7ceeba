export {
  type BuildExamplesOptions,
  buildExamples,
  EXAMPLE_PARTS,
  type ExamplePart,
} from './build-examples.js';
export { type ExampleLayout, exampleLayout } from './example-layout.js';
export {
  CONVNET_ARCHITECTURE,
  CONVNET_CONFIG,
  EXAMPLE_MODEL_CONFIGS,
  EXAMPLE_MODEL_VERSION,
  IRIS_CONFIG,
  IRIS_TFJS_CONFIG,
  SHAPES_CONFIG,
} from './example-models.js';
export {
  accuracy,
  IRIS_CLASS_COUNT,
  IRIS_CSV_HEADER,
  IRIS_FEATURE_COUNT,
  type IrisDataset,
  parseIrisCsv,
} from './iris-csv.js';
export {
  type ConfigTensorSpec,
  type ExampleModelConfig,
  GENERATED_CONFIG_NOTICE,
  renderConfigYaml,
} from './model-config.js';
export { DEFAULT_PYTHON, ONNX_BUILD_SCRIPT, type OnnxBuildStep, pythonOnnxBuilder } from './onnx-builder.js';
export { type BatchTiming, type OnnxTimingOptions, timeOnnxModel } from './onnx-timing.js';
export { IRIS_TFJS_TRAINING, seededPermutation, trainIrisTfjs } from './tfjs-iris.js';
export {
  TFJS_MODEL_JSON,
  TFJS_WEIGHTS_BIN,
  tfjsDirSaveHandler,
  tfjsFileLoadHandler,
} from './tfjs-model-files.js';
