/**
 * `--out heatmap.png` for an image explanation: the heatmap of one explained output drawn over
 * the image row that was explained (its channels averaged to gray).
 */
import { type HeatmapPixels, type HeatmapPngOptions, writeHeatmapPng } from './heatmap-png.js';
import { grayscaleOf, type ImageTensorLayout } from './png-image.js';

/** The explained image row: its values, per-row shape and layout. */
export interface ExplainedImage {
  readonly values: ArrayLike<number>;
  readonly shape: readonly number[];
  readonly layout: ImageTensorLayout;
}

/**
 * Writes the heatmap over its image to `path`.
 * @throws RangeError when the heatmap is not the image's size.
 */
export async function writeExplanationPng(
  path: string,
  heatmap: HeatmapPixels,
  image: ExplainedImage | undefined,
  options: Pick<HeatmapPngOptions, 'scale'> = {},
): Promise<void> {
  if (!image) {
    await writeHeatmapPng(path, heatmap, options);
    return;
  }
  const [height, width] =
    image.layout === 'channels-first' ? [image.shape[1], image.shape[2]] : [image.shape[0], image.shape[1]];
  if (height !== heatmap.height || width !== heatmap.width) {
    throw new RangeError(
      `heatmap: ${heatmap.height} × ${heatmap.width} is not the image's ${height} × ${width}`,
    );
  }
  await writeHeatmapPng(path, heatmap, {
    ...options,
    underlay: grayscaleOf(image.values, image.shape, image.layout),
  });
}
