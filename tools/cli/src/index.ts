export { CHILD_STOP_TIMEOUT_MS, startLocalStack } from './local-stack.js';
export { SERVICES, type ServeableService } from './service-registry.js';
