/**
 * The minimum of image geometry IG's result needs: where the image lies in the feature row and
 * how its channels reduce to one heatmap value per pixel. exp-occlusion owns the shared
 * version (src/methods/image/*); the integrator folds this file into it.
 */

/** Where the image is in the feature row, and how its heatmap is made (from the request's ImageInput). */
export interface ImageView {
  /** The image tensor's first feature index in the flattened row. */
  readonly offset: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** channels-last: [h, w, c] (TF.js); channels-first: [c, h, w]; grayscale: [h, w] (channels 1). */
  readonly layout: 'channels-last' | 'channels-first' | 'grayscale';
  /** sum keeps the sign (the heatmap sums to the attributions' sum); abs-sum adds magnitudes. */
  readonly reduction: 'sum' | 'abs-sum';
  /** Also return every element's attribution as features. */
  readonly includeFeatureAttributions: boolean;
}

/** A heatmap the size of the image, row-major, with its range for colour scales. */
export interface HeatmapValues {
  readonly height: number;
  readonly width: number;
  readonly values: Float64Array;
  readonly min: number;
  readonly max: number;
}

/** The flat feature index of pixel (y, x), channel c. */
export function imageFeatureIndex(view: ImageView, y: number, x: number, c: number): number {
  const { offset, height, width, channels } = view;
  switch (view.layout) {
    case 'channels-last':
      return offset + (y * width + x) * channels + c;
    case 'channels-first':
      return offset + (c * height + y) * width + x;
    case 'grayscale':
      return offset + y * width + x;
  }
}

/** One value per pixel: the channels of each pixel summed (or their absolute values summed). */
export function reduceToHeatmap(attributions: Float64Array, view: ImageView): HeatmapValues {
  const { height, width } = view;
  const channels = view.layout === 'grayscale' ? 1 : view.channels;
  const values = new Float64Array(height * width);
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let value = 0;
      for (let c = 0; c < channels; c++) {
        const a = attributions[imageFeatureIndex(view, y, x, c)]!;
        value += view.reduction === 'sum' ? a : Math.abs(a);
      }
      values[y * width + x] = value;
      if (value < min) min = value;
      if (value > max) max = value;
    }
  }
  return { height, width, values, min, max };
}
