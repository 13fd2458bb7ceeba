/**
 * @sightline/tfjs: TensorFlow.js as the services run it. The backend is picked at run time,
 * best first (tfjs-node-gpu where a GPU is detected, tfjs-node, wasm, cpu), because the
 * native packages download libtensorflow at install time and so are optional. TF.js model
 * files (model.json + weight shards) are read from a version directory by one handler, shared
 * by the model-server and the explainer, with paths kept inside the directory and sizes bounded.
 */

export { filesystemError, isInside, isNodeError, resolveInside } from './contained-path.js';
export { detectGpu, type GpuProbe, NVIDIA_DEVICE_FILE } from './gpu-detect.js';
export {
  type FileModelHandler,
  fileModelHandler,
  loadLayersModelFiles,
  TFJS_MODEL_FILE,
  TFJS_MODEL_FILE_LIMITS,
  type TfjsModelFileLimits,
} from './model-files.js';
export {
  selectTfjsBackend,
  type TfjsBackend,
  type TfjsBackendLabel,
  type TfjsBackendOptions,
  type TfjsDevice,
  type TfjsLogger,
  type TfjsModule,
} from './tfjs-backend.js';
