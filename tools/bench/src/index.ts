/** Load generator and benchmark building blocks, reused by later benchmarks (router, proxies). */
export {
  DEFAULT_MAX_DURATION_MS,
  DEFAULT_MAX_SAMPLES,
  type LoadOptions,
  type LoadResult,
  runLoad,
} from './load-generator.js';
export { type InProcessModel, loadInProcessModel, readSignature } from './models/in-process-onnx.js';
export { type ModelSignature, sampleInput } from './models/onnx-signature.js';
export {
  formatPaired,
  median,
  type PairedComparison,
  type PairedOptions,
  type PairedRound,
  type PairedSide,
  type PairedSummary,
  runPaired,
  summarizePaired,
} from './paired-comparison.js';
export { check, modelServerRatios, type RatioCheck, TARGETS } from './report/ratios.js';
export {
  type HopCost,
  ROUTER_TARGETS,
  routerHopCosts,
  routerRatios,
} from './report/router-ratios.js';
export { ChildProcessGroup, type ManagedChild } from './servers/child-process-group.js';
export { type FloorProcess, startFloorProcess } from './servers/floor-process.js';
export { type FloorOutput, type FloorServer, startFloorServer } from './servers/floor-server.js';
export {
  ModelServerNotBuiltError,
  type ModelServerProcess,
  startModelServer,
} from './servers/model-server-process.js';
export { type PassthroughProxy, startPassthroughProxy } from './servers/passthrough-proxy.js';
export {
  type PassthroughProxyProcess,
  startPassthroughProxyProcess,
} from './servers/passthrough-proxy-process.js';
export { type ProcessMemory, readProcessMemory } from './servers/process-memory.js';
export { httpStatus, pickFreePort, waitUntilReady } from './servers/readiness.js';
export { type RouterLaunch, type RouterProcess, startRouterProcess } from './servers/router-process.js';
export { type LatencySummary, percentileOfSorted, summarizeLatencies } from './stats/latency-summary.js';
export {
  MODEL_SERVER_SETUPS,
  type ModelServerSetupId,
  type ModelServerSuiteResult,
  measureServed,
  runModelServerSuite,
  type ServedMeasureOptions,
} from './suites/model-server-suite.js';
export { type HopModel, hopGraphDocument, hopGraphName } from './suites/router-graphs.js';
export {
  ROUTER_SETUPS,
  type RouterSetupId,
  type RouterSuiteOptions,
  type RouterSuiteResult,
  runRouterSuite,
} from './suites/router-suite.js';
export type { SetupPoint, SetupResult } from './suites/setup-result.js';
export { encodeInferRequest, type Fp32Input, type ModelCounters, V2ClientPool } from './v2-client.js';
