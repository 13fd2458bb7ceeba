/** Outlier detector kinds over libs/stats' kernels, and the threshold rules they share. */
export * from './outlier-scores.js';
