/**
 * @sightline/stats: statistical kernels shared by the detectors (drift, outlier), the
 * metrics service and the explainer. Plain TypeScript over Float64Array columns; p-values
 * follow scipy's definitions so users can compare (fidelity tests run scipy itself).
 */
export {};
