export { type FileModelHandler, fileModelHandler } from '@sightline/tfjs';
export { OnnxRuntime } from './onnx-runtime.js';
export { OnnxWorkerRuntime } from './onnx-worker-runtime.js';
export {
  createRuntimeLoader,
  type LoadRuntimeOptions,
  type RuntimeLoader,
  type RuntimeLoaderDeps,
} from './runtime-loader.js';
export { TfjsRuntime } from './tfjs-runtime.js';
