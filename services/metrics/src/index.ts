/**
 * @sightline/metrics: model-quality monitoring with delayed feedback (issue 12).
 */

export * from './windows/index.js';
