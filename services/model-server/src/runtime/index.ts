export { OnnxRuntime } from './onnx-runtime.js';
export { OnnxWorkerRuntime } from './onnx-worker-runtime.js';
export {
  createRuntimeLoader,
  type LoadRuntimeOptions,
  type RuntimeLoader,
  type RuntimeLoaderDeps,
} from './runtime-loader.js';
export { type FileModelHandler, fileModelHandler } from './tfjs-file-handler.js';
export { TfjsRuntime } from './tfjs-runtime.js';
