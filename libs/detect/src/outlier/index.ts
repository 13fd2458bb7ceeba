/** Outlier detector kinds over libs/stats' kernels and TF.js, and the threshold rules they share. */
export * from './autoencoder-kind.js';
export { AUTOENCODER_MODEL_FILE, AUTOENCODER_WEIGHTS_FILE } from './autoencoder-model.js';
export * from './autoencoder-params.js';
export { AUTOENCODER_PROGRESS_INTERVAL_MS } from './autoencoder-trainer.js';
export * from './iforest-kind.js';
export * from './mahalanobis-kind.js';
export {
  type KeepRow,
  ROBUST_NO_UPDATES_RULE,
  runningRows,
  updateRunning,
} from './mahalanobis-running.js';
export * from './outlier-kernels.js';
export * from './outlier-kinds.js';
export * from './outlier-scores.js';
export * from './threshold-rule.js';
