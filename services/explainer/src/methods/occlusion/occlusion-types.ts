/** Occlusion's settings and result, as plain TypeScript (the contract mapping is src/contract/methods/occlusion.ts). */
import type { Heatmap } from '../image/heatmap.js';
import type { ImageInputSpec } from '../image/image-input.js';

/** The window side when none is given (capped at the image's shorter side). */
export const DEFAULT_OCCLUSION_WINDOW = 8;
/** SLIC segments when none are given. */
export const DEFAULT_SUPERPIXEL_SEGMENTS = 50;
/** SLIC compactness when none is given (skimage's default). */
export const DEFAULT_SUPERPIXEL_COMPACTNESS = 10;
/** The fewest and most SLIC segments a request may ask for. */
export const MIN_SUPERPIXEL_SEGMENTS = 2;
export const MAX_SUPERPIXEL_SEGMENTS = 1000;
/** Masked rows per evaluate call when the evaluator does not say how many one model call takes. */
export const DEFAULT_OCCLUSION_BATCH_ROWS = 100;
/**
 * The most values (rows × features) one batch of masked rows holds: 2^23 float64s, 64 MiB here
 * and 32 MiB as FP32 on the wire, within the 64 MiB --max-message-bytes (a 224 × 224 × 3
 * image: 55 rows a batch).
 */
export const MAX_OCCLUSION_BATCH_VALUES = 2 ** 23;

/** How occlusion makes its regions. */
export type OcclusionMasking = 'windows' | 'superpixels';

/** Occlusion's settings with every default filled. */
export interface OcclusionParams {
  readonly image: ImageInputSpec;
  readonly masking: OcclusionMasking;
  /** WINDOWS: the square window's side in pixels. */
  readonly window: number;
  /** WINDOWS: the step between windows in pixels, at most the window (every pixel covered). */
  readonly stride: number;
  /** SUPERPIXELS: the SLIC segments asked for. */
  readonly segments: number;
  /** SUPERPIXELS: SLIC's compactness. */
  readonly compactness: number;
  /** The value a masked element takes; undefined: the background's mean per element when there is one, else 0. */
  readonly fillValue: number | undefined;
}

/** One explained output column's attributions. */
export interface OcclusionOutput {
  /** The model's output for the instance (NaN when the budget allowed no call). */
  readonly prediction: number;
  /** The output with every region filled (NaN when the budget allowed no call). */
  readonly expectedValue: number;
  /**
   * Per pixel, the mean drop (prediction − output with the region filled) over the evaluated
   * regions covering it; 0 where none was evaluated. Channels reduced as the image says: every
   * channel of a pixel is masked together, so each carries an equal share of the pixel's value.
   */
  readonly heatmap: Heatmap;
  /** Per feature of the row: a pixel's value split equally over its channels; 0 outside the image. */
  readonly attributions: Float64Array;
}

/** Occlusion's answer for one row. */
export interface OcclusionResult {
  /** One per output column of the evaluator, in column order. */
  readonly outputs: readonly OcclusionOutput[];
  /** Regions made (windows or superpixels). */
  readonly regions: number;
  /** Regions whose filled image was scored (fewer than `regions` when the budget ran out). */
  readonly regionsEvaluated: number;
}
