export { CHILD_STOP_TIMEOUT_MS, startLocalStack } from './local-stack.js';
export {
  LOCAL_STACK_BSP_SCHEDULE_DELAY_MS,
  LOCAL_TRACE_STORE_ENDPOINT,
  type LocalStackTracing,
  planLocalStackTracing,
} from './local-stack-tracing.js';
export { loadServices, SERVICE_NAMES, type ServeableService } from './service-registry.js';
