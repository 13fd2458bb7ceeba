export { CHILD_STOP_TIMEOUT_MS, startLocalStack } from './local-stack.js';
export { loadServices, SERVICE_NAMES, type ServeableService } from './service-registry.js';
