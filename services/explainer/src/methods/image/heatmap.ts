/**
 * Per-element attributions of an image → one value per pixel (the contract's Heatmap). SUM
 * keeps the sign and the completeness identity (the heatmap's values add up to the image's
 * attributions); ABS_SUM shows where the model looked whatever the direction.
 */
import { elementIndex, type ImageGeometry } from './image-geometry.js';

/** How a pixel's channel attributions become one value. */
export type ChannelReductionName = 'sum' | 'abs-sum';

/** Attributions of an image as one value per pixel. */
export interface Heatmap {
  readonly height: number;
  readonly width: number;
  /** height × width values, row-major. */
  readonly values: Float64Array;
  /** The smallest value (0 for an image without pixels). */
  readonly min: number;
  /** The largest value. */
  readonly max: number;
}

/** A heatmap over pixel values already reduced (height × width, row-major); min and max computed. */
export function heatmapFromPixels(height: number, width: number, values: Float64Array): Heatmap {
  if (values.length !== height * width) {
    throw new RangeError(`values: must hold height × width = ${height * width} values, got ${values.length}`);
  }
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of values) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return values.length === 0
    ? { height, width, values, min: 0, max: 0 }
    : { height, width, values, min, max };
}

/**
 * The heatmap of one output's attributions.
 * @param attributions per feature of the whole row (the image's elements at geometry.offset on).
 */
export function heatmapOf(
  attributions: ArrayLike<number>,
  geometry: ImageGeometry,
  reduction: ChannelReductionName,
): Heatmap {
  if (attributions.length < geometry.offset + geometry.elementCount) {
    throw new RangeError(
      `attributions: must reach the image's last element ${geometry.offset + geometry.elementCount - 1}, got ${attributions.length} values`,
    );
  }
  const { height, width, channels } = geometry;
  const values = new Float64Array(geometry.pixelCount);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let value = 0;
      for (let c = 0; c < channels; c++) {
        const attribution = attributions[elementIndex(geometry, y, x, c)]!;
        value += reduction === 'sum' ? attribution : Math.abs(attribution);
      }
      values[y * width + x] = value;
    }
  }
  return heatmapFromPixels(height, width, values);
}
