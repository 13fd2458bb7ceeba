export { resolveInside } from '@sightline/tfjs';
export {
  CONFIG_FILE_NAMES,
  type ConfigSource,
  DYNAMIC_BATCHING_DEFAULTS,
  MODEL_CONFIG_LIMITS,
  parseModelConfig,
  parseModelConfigText,
} from './model-config.js';
export {
  assertModelName,
  isModelName,
  MODEL_NAME_MAX_LENGTH,
  MODEL_NAME_RULE,
} from './model-name.js';
export { MODEL_FILE_NAMES, ModelRepository } from './model-repository.js';
export { versionsToServe } from './version-policy.js';
