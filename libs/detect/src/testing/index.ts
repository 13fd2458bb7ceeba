/**
 * Test helpers for consumers of @sightline/detect (`@sightline/detect/testing`): a reference
 * double of the statistical kernels, for tests of the machinery only.
 */
export { referenceKernels, seededUniform } from './reference-kernels.js';
