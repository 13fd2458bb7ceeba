/**
 * @sightline/model-server: serves ONNX and TensorFlow.js models over the Open Inference
 * Protocol v2 with dynamic batching.
 */
export {
  DynamicBatcher,
  type DynamicBatcherOptions,
  type ExecutionObserver,
} from './batching/dynamic-batcher.js';
export {
  DEFAULT_MAX_QUEUE_SIZE,
  DEFAULT_STREAM_MAX_IN_FLIGHT,
  MODEL_SERVER_PORTS,
  type ModelServerConfig,
  modelServerConfigSchema,
} from './config.js';
export { InferenceDataPlane } from './inference/data-plane.js';
export type {
  InferCall,
  InferRequest,
  InferResponse,
  InputHeader,
  RequestedOutput,
} from './inference/infer-types.js';
export { runModelServer } from './main.js';
export type * from './model/types.js';
export {
  EXTENSIONS,
  type ModelServerHandle,
  type ModelServerParts,
  startModelServer,
} from './model-server.js';
export { createObjectSource, type S3Settings } from './repository/remote/create-source.js';
export { HttpManifestSource, MANIFEST_FILE } from './repository/remote/http-manifest-source.js';
export {
  MAX_LISTED_OBJECTS,
  type ObjectSource,
  type RemoteObject,
} from './repository/remote/object-source.js';
export { parseRepositoryLocation, type RepositoryLocation } from './repository/remote/repository-location.js';
export {
  DEFAULT_CACHE_MAX_BYTES,
  RepositoryMirror,
  type RepositoryMirrorOptions,
  type RepositoryProblem,
} from './repository/remote/repository-mirror.js';
export { DEFAULT_POLL_INTERVAL_MS } from './repository/remote/repository-poller.js';
