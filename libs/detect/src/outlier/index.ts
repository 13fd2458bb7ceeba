/** Outlier detector kinds over libs/stats' kernels and TF.js, and the threshold rules they share. */
export * from './autoencoder-kind.js';
export { AUTOENCODER_MODEL_FILE, AUTOENCODER_WEIGHTS_FILE } from './autoencoder-model.js';
export * from './autoencoder-params.js';
export * from './outlier-scores.js';
