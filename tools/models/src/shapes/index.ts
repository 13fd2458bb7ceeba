/**
 * The shapes example (issue 13's image example): a seeded generator of grayscale images of
 * circles, squares, triangles and crosses on a noisy background, each with its exact mask,
 * PNG encoding through pngjs, and the small TF.js CNN trained on them. Exported on its own
 * (`@sightline/models/shapes`) so the explainer's tests draw held-out images with masks.
 */

export { SHAPE_SAMPLES, writeShapeSamples } from './shape-samples.js';
export {
  buildShapesCnn,
  SHAPES_TRAINING,
  shapesAccuracy,
  type TrainedShapesCnn,
  trainShapesCnn,
} from './shapes-cnn.js';
export {
  drawShape,
  generateShapeSet,
  SHAPE_CLASSES,
  SHAPE_IMAGE,
  type ShapeClass,
  type ShapeImage,
  type ShapeSet,
} from './shapes-generator.js';
export { decodeGrayPng, encodeGrayPng } from './shapes-png.js';
