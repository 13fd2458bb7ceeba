/**
 * @sightline/detect: the detector machinery shared by the drift and outlier services: fit
 * on reference data, persist every fitted version with lineage, score batches, close live
 * windows on a count or a time, and run detectors over stored history.
 */

export * from './detector-labels.js';
export * from './fitted-detectors.js';
export * from './kernels.js';
export * from './kinds/index.js';
export * from './live/index.js';
export * from './outlier/index.js';
export * from './store/index.js';
export * from './table/index.js';
