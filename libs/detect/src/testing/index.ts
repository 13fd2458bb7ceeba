/**
 * Test helpers for consumers of @sightline/detect (`@sightline/detect/testing`): a reference
 * double of the statistical kernels, for tests of the machinery only, and an in-memory
 * EventReader.
 */
export { ArrayEventReader } from './array-event-reader.js';
export { referenceKernels, seededUniform } from './reference-kernels.js';
