/**
 * @sightline/tfjs: TensorFlow.js as the services run it. The backend is picked at run time,
 * best first (tfjs-node-gpu where a GPU is detected, tfjs-node, wasm, cpu), because the
 * native packages download libtensorflow at install time and so are optional.
 */
export { detectGpu, type GpuProbe, NVIDIA_DEVICE_FILE } from './gpu-detect.js';
export {
  selectTfjsBackend,
  type TfjsBackend,
  type TfjsBackendLabel,
  type TfjsBackendOptions,
  type TfjsDevice,
  type TfjsLogger,
  type TfjsModule,
} from './tfjs-backend.js';
