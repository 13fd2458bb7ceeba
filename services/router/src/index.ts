/**
 * @sightline/router: runs multi-hop inference graphs over the Open Inference Protocol v2,
 * traced hop by hop, logging every prediction as an InferenceEvent.
 */
export {
  DEFAULT_MAX_GRAPH_DOCUMENT_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  ROUTER_PORTS,
  type RouterConfig,
  routerConfigSchema,
} from './config.js';
export { type DocumentFormat, type ParsedDocument, parseGraphDocument } from './contract/graph-document.js';
export { graphFromMessage, graphToMessage } from './contract/graph-message.js';
export { GraphExecutor, type GraphExecutorOptions } from './engine/graph-executor.js';
export type { MirrorResult } from './engine/off-path-runner.js';
export type * from './engine/ports.js';
export { type Payload, RoutedTensor } from './engine/routed-tensor.js';
export type * from './graph/graph-spec.js';
export { isValid, validateGraph } from './graph/graph-validator.js';
export {
  GRAPH_PLATFORM,
  PATH_PARAMETER,
  RouterDataPlane,
  SKIPPED_PARAMETER,
  TRACE_ID_PARAMETER,
} from './inference/router-data-plane.js';
export { runRouter } from './main.js';
export { type RouterHandle, type RouterParts, startRouter } from './router.js';
