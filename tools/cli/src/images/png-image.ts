/**
 * PNG files <-> image tensors for `sightline explain --image FILE.png`: a PNG decoded (pngjs)
 * into a model's per-row layout and value range, and an image tensor back into the gray
 * underlay a heatmap is drawn on.
 */
import { PNG } from 'pngjs';
import { UsageError } from '../frame/usage-error.js';

/** How an image tensor's per-row shape is read (the contract's ImageLayout). */
export type ImageTensorLayout = 'channels-last' | 'channels-first' | 'grayscale';

export interface PngDecodeOptions {
  readonly layout: ImageTensorLayout;
  /** Colour channels in the tensor: 3 (RGB) or 1 (luma); grayscale layout is always 1. Default 3. */
  readonly channels?: 1 | 3;
  /** Values in [0, 1] (`unit`, the default) or [0, 255] (`byte`). */
  readonly range?: 'unit' | 'byte';
}

/** One image row: its per-row shape in the layout and its values. */
export interface DecodedImage {
  readonly shape: number[];
  readonly values: Float32Array;
}

/** The most elements an image row may have: the explainer's --max-image-elements default. */
export const MAX_IMAGE_ELEMENTS = 4_194_304;

/** ITU-R BT.601 luma, as most image libraries turn RGB into gray. */
const LUMA = [0.299, 0.587, 0.114] as const;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A PNG's width and height from its header (the IHDR chunk that must come first), without
 * decoding it; undefined when the bytes do not start as a PNG. A few hundred kilobytes of PNG
 * can hold gigabytes of pixels, so sizes are checked here before anything is decoded.
 */
export function pngSize(file: Buffer): { readonly width: number; readonly height: number } | undefined {
  if (file.length < 24 || !file.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (file.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: file.readUInt32BE(16), height: file.readUInt32BE(20) };
}

/**
 * A PNG as one image row (alpha dropped, composited on nothing).
 * @throws UsageError naming the file when it is not a PNG pngjs can read, or holds more than
 *   {@link MAX_IMAGE_ELEMENTS} elements (checked from its header, before decoding).
 */
export function decodePngImage(file: Buffer, label: string, options: PngDecodeOptions): DecodedImage {
  const channels = options.layout === 'grayscale' ? 1 : (options.channels ?? 3);
  const declared = pngSize(file);
  if (declared) tooManyElements(declared.width, declared.height, channels, label);
  let png: PNG;
  try {
    png = PNG.sync.read(file);
  } catch (error) {
    throw new UsageError(`${label}: not a PNG image (${(error as Error).message})`);
  }
  const { width, height, data } = png;
  tooManyElements(width, height, channels, label);
  const unit = (options.range ?? 'unit') === 'unit' ? 1 / 255 : 1;
  const values = new Float32Array(height * width * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const source = (y * width + x) * 4;
      const rgb = [data[source]!, data[source + 1]!, data[source + 2]!];
      const pixel = channels === 1 ? [LUMA[0] * rgb[0]! + LUMA[1] * rgb[1]! + LUMA[2] * rgb[2]!] : rgb;
      for (let c = 0; c < channels; c++) {
        const index =
          options.layout === 'channels-first' ? (c * height + y) * width + x : (y * width + x) * channels + c;
        values[index] = pixel[c]! * unit;
      }
    }
  }
  const shape =
    options.layout === 'channels-first'
      ? [channels, height, width]
      : options.layout === 'grayscale'
        ? [height, width]
        : [height, width, channels];
  return { shape, values };
}

/** @throws UsageError when an image of this size is more than an explanation takes. */
function tooManyElements(width: number, height: number, channels: number, label: string): void {
  if (height * width * channels > MAX_IMAGE_ELEMENTS) {
    throw new UsageError(
      `${label}: ${width} × ${height} × ${channels} is ${height * width * channels} elements, more than the ${MAX_IMAGE_ELEMENTS} an explanation takes (the explainer's --max-image-elements)`,
    );
  }
}

/** The mean over channels of each pixel of an image row: the underlay of its heatmap. */
export function grayscaleOf(
  values: ArrayLike<number>,
  shape: readonly number[],
  layout: ImageTensorLayout,
): Float64Array {
  const [height, width, channels] =
    layout === 'channels-first' ? [shape[1]!, shape[2]!, shape[0]!] : [shape[0]!, shape[1]!, shape[2] ?? 1];
  if (values.length !== height * width * channels) {
    throw new RangeError(
      `values: shape [${shape.join(', ')}] needs ${height * width * channels} values, got ${values.length}`,
    );
  }
  const gray = new Float64Array(height * width);
  for (let p = 0; p < height * width; p++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) {
      sum += layout === 'channels-first' ? values[c * height * width + p]! : values[p * channels + c]!;
    }
    gray[p] = sum / channels;
  }
  return gray;
}
