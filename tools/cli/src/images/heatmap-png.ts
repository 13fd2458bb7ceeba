/**
 * An explanation's heatmap as a PNG a person can look at: the image in grayscale under a
 * diverging colour map — red where a pixel raised the explained output, blue where it lowered
 * it, the colour's opacity growing with |value| relative to the largest |value| — upscaled by
 * an integer factor (nearest neighbour) so a 64 × 64 image is not a postage stamp.
 *
 * It lives in the CLI, not the SDK: the contract leaves rendering to the CLI (design note
 * decision 11), and the SDK stays free of file formats. PNG encoding is pngjs's.
 */
import { writeFile } from 'node:fs/promises';
import { PNG } from 'pngjs';

/** The heatmap to draw: height × width values, row-major (the contract's Heatmap). */
export interface HeatmapPixels {
  readonly height: number;
  readonly width: number;
  readonly values: ArrayLike<number>;
}

export interface HeatmapPngOptions {
  /** The image under the heatmap as one gray value per pixel (height × width, any range: scaled by its own min and max); unset draws on mid-gray. */
  readonly underlay?: ArrayLike<number>;
  /** Output pixels per heatmap pixel along each side, 1-64; unset: {@link defaultHeatmapScale}. */
  readonly scale?: number;
}

/** Positive attributions (raised the output): ColorBrewer RdBu's red end. */
export const POSITIVE_RGB = [178, 24, 43] as const;
/** Negative attributions (lowered the output): RdBu's blue end. */
export const NEGATIVE_RGB = [33, 102, 172] as const;
/** Opacity of the colour at the largest |value|: the image still shows through. */
export const MAX_HEATMAP_ALPHA = 0.85;
/** The default upscale brings the longer side to at least this many pixels. */
export const HEATMAP_TARGET_SIDE = 256;
/** The largest upscale factor. */
export const MAX_HEATMAP_SCALE = 64;

/** The smallest integer factor that brings the longer side to HEATMAP_TARGET_SIDE pixels (1 for images already that large), at most 16. */
export function defaultHeatmapScale(height: number, width: number): number {
  return Math.max(1, Math.min(16, Math.ceil(HEATMAP_TARGET_SIDE / Math.max(1, height, width))));
}

function rangeOf(values: ArrayLike<number>): { min: number; max: number } {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/** The PNG (8-bit RGBA) of a heatmap over its image. */
export function renderHeatmapPng(heatmap: HeatmapPixels, options: HeatmapPngOptions = {}): Buffer {
  const { height, width, values } = heatmap;
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new RangeError(`heatmap: height and width must be positive integers, got ${height} × ${width}`);
  }
  if (values.length !== height * width) {
    throw new RangeError(
      `heatmap: ${height} × ${width} needs ${height * width} values, got ${values.length}`,
    );
  }
  const underlay = options.underlay;
  if (underlay && underlay.length !== height * width) {
    throw new RangeError(
      `underlay: ${height} × ${width} needs ${height * width} gray values, got ${underlay.length}`,
    );
  }
  const scale = options.scale ?? defaultHeatmapScale(height, width);
  if (!Number.isInteger(scale) || scale < 1 || scale > MAX_HEATMAP_SCALE) {
    throw new RangeError(`scale: must be an integer from 1 to ${MAX_HEATMAP_SCALE}, got ${scale}`);
  }
  const { min, max } = rangeOf(values);
  const extent = Math.max(Math.abs(min), Math.abs(max));
  const gray = underlay ? rangeOf(underlay) : { min: 0, max: 0 };
  const grayRange = gray.max - gray.min;
  const png = new PNG({ width: width * scale, height: height * scale });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = y * width + x;
      const base = underlay && grayRange > 0 ? (255 * (underlay[p]! - gray.min)) / grayRange : 128;
      const value = values[p]!;
      const strength = extent > 0 && Number.isFinite(value) ? Math.abs(value) / extent : 0;
      const alpha = MAX_HEATMAP_ALPHA * strength;
      const colour = value >= 0 ? POSITIVE_RGB : NEGATIVE_RGB;
      const rgb = colour.map((channel) => Math.round(base * (1 - alpha) + channel * alpha));
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const offset = ((y * scale + dy) * width * scale + x * scale + dx) * 4;
          png.data[offset] = rgb[0]!;
          png.data[offset + 1] = rgb[1]!;
          png.data[offset + 2] = rgb[2]!;
          png.data[offset + 3] = 255;
        }
      }
    }
  }
  return PNG.sync.write(png);
}

/** Writes the heatmap's PNG to `path`. */
export async function writeHeatmapPng(
  path: string,
  heatmap: HeatmapPixels,
  options: HeatmapPngOptions = {},
): Promise<void> {
  await writeFile(path, renderHeatmapPng(heatmap, options));
}
