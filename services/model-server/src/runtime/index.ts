export { detectGpu, type GpuProbe, NVIDIA_DEVICE_FILE } from './gpu-detect.js';
export { OnnxRuntime } from './onnx-runtime.js';
export { OnnxWorkerRuntime } from './onnx-worker-runtime.js';
export {
  createRuntimeLoader,
  type LoadRuntimeOptions,
  type RuntimeLoader,
  type RuntimeLoaderDeps,
} from './runtime-loader.js';
export { selectTfjsBackend, type TfjsBackend, type TfjsBackendLabel } from './tfjs-backend.js';
export { type FileModelHandler, fileModelHandler } from './tfjs-file-handler.js';
export { TfjsRuntime } from './tfjs-runtime.js';
