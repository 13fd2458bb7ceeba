/**
 * Where an image's pixels and channels sit in a flattened feature row. A row is the instance
 * tensors flattened and concatenated (method.ts); the image is one of them, starting at
 * `offset`, its per-row shape read in one of three layouts:
 * - channels last `[height, width, channels]` (TF.js),
 * - channels first `[channels, height, width]` (ONNX exports of PyTorch models),
 * - grayscale `[height, width]` or `[height, width, 1]`.
 * Image methods (occlusion, Integrated Gradients) address elements as (y, x, c) through this
 * and never compute strides themselves.
 */
import { InvalidArgumentError } from '@sightline/errors';

/** How an image tensor's per-row shape is read. */
export type ImageLayoutName = 'channels-last' | 'channels-first' | 'grayscale';

/** An image's size and where its elements are in a feature row. */
export interface ImageGeometry {
  readonly layout: ImageLayoutName;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** height × width. */
  readonly pixelCount: number;
  /** height × width × channels: the image's elements in the row. */
  readonly elementCount: number;
  /** The row index of the image's first element (0 when the image is the only tensor). */
  readonly offset: number;
}

/** An element's place in the image. */
export interface PixelChannel {
  readonly y: number;
  readonly x: number;
  readonly c: number;
}

function dimensionsOf(shape: readonly number[], layout: ImageLayoutName): [number, number, number] | string {
  switch (layout) {
    case 'channels-last':
      return shape.length === 3 ? [shape[0]!, shape[1]!, shape[2]!] : 'must be [height, width, channels]';
    case 'channels-first':
      return shape.length === 3 ? [shape[1]!, shape[2]!, shape[0]!] : 'must be [channels, height, width]';
    case 'grayscale':
      if (shape.length === 2) return [shape[0]!, shape[1]!, 1];
      if (shape.length === 3 && shape[2] === 1) return [shape[0]!, shape[1]!, 1];
      return 'must be [height, width] or [height, width, 1]';
  }
}

/**
 * The geometry of an image tensor from its per-row shape (without the row dimension).
 * @param offset where the image's first element is in the flattened row.
 * @param field the request field named in errors.
 * @throws InvalidArgumentError (rule "image.shape") when the shape is not an image in that layout.
 */
export function imageGeometry(
  shape: readonly number[],
  layout: ImageLayoutName,
  offset = 0,
  field = 'image',
): ImageGeometry {
  const dimensions = dimensionsOf(shape, layout);
  const badDimension = shape.some((size) => !Number.isInteger(size) || size < 1);
  if (typeof dimensions === 'string' || badDimension) {
    const rule = typeof dimensions === 'string' ? dimensions : 'must have sizes of at least 1';
    throw new InvalidArgumentError(
      `${field}: a ${layout} image's per-row shape ${rule} (rule "image.shape"), got [${shape.join(', ')}]`,
      { field },
    );
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new RangeError(`offset: must be a non-negative integer, got ${offset}`);
  }
  const [height, width, channels] = dimensions;
  return {
    layout,
    height,
    width,
    channels,
    pixelCount: height * width,
    elementCount: height * width * channels,
    offset,
  };
}

/** The row index of channel `c` of pixel (y, x). */
export function elementIndex(geometry: ImageGeometry, y: number, x: number, c: number): number {
  const { height, width, channels, offset } = geometry;
  return geometry.layout === 'channels-first'
    ? offset + (c * height + y) * width + x
    : offset + (y * width + x) * channels + c;
}

/** The pixel and channel of row index `index` (which must lie in the image). */
export function pixelChannelOf(geometry: ImageGeometry, index: number): PixelChannel {
  const { height, width, channels, offset } = geometry;
  const local = index - offset;
  if (!Number.isInteger(local) || local < 0 || local >= geometry.elementCount) {
    throw new RangeError(
      `index: must lie in the image's elements [${offset}, ${offset + geometry.elementCount}), got ${index}`,
    );
  }
  if (geometry.layout === 'channels-first') {
    const c = Math.floor(local / (height * width));
    const inPlane = local - c * height * width;
    return { y: Math.floor(inPlane / width), x: inPlane % width, c };
  }
  const pixel = Math.floor(local / channels);
  return { y: Math.floor(pixel / width), x: pixel % width, c: local % channels };
}

/**
 * The row indices of every channel of pixel `pixel` (= y × width + x), in channel order: the
 * elements a mask over that pixel sets.
 */
export function pixelElementIndices(geometry: ImageGeometry, pixel: number): number[] {
  const y = Math.floor(pixel / geometry.width);
  const x = pixel % geometry.width;
  const indices: number[] = [];
  for (let c = 0; c < geometry.channels; c++) indices.push(elementIndex(geometry, y, x, c));
  return indices;
}

/**
 * The image as pixel-major values, `pixelCount × channels` (channels last whatever the layout),
 * read out of a feature row: what superpixel segmentation and rendering work on.
 */
export function pixelMajorValues(row: ArrayLike<number>, geometry: ImageGeometry): Float64Array {
  const { height, width, channels } = geometry;
  const values = new Float64Array(geometry.elementCount);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) {
        values[(y * width + x) * channels + c] = row[elementIndex(geometry, y, x, c)]!;
      }
    }
  }
  return values;
}
