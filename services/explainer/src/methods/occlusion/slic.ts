/**
 * SLIC superpixels (Achanta et al. 2012), written after scikit-image's `slic` because no
 * well-kept npm package offers it (the registry lists carousels named "slick" and none for
 * superpixels). As skimage: centres start on a regular grid (`regular_grid`), pixels join the
 * nearest centre within 2 grid steps by D² = (d_colour / compactness)² + (d_xy / step)², 10
 * iterations of k-means (or until no pixel moves), then connectivity is enforced: segments
 * smaller than half the mean segment size join the segment touching them, so every segment
 * is one 4-connected piece.
 *
 * Colour space. skimage converts RGB in [0, 1] to CIELAB (L in 0-100) and uses other channel
 * counts as they are; compactness 10 is tuned for Lab's range. Model inputs come in any range
 * (0-255, 0-1, normalised), so the image is first scaled by its own minimum and maximum: three
 * channels to [0, 1] and then to Lab, any other count to [0, 100], so that compactness means
 * the same thing for a grayscale image as for a colour one. skimage's max_size_factor (3) caps
 * how far small pieces are merged into a segment rather than splitting large pieces.
 */

/** SLIC's settings. */
export interface SlicOptions {
  /** Segments asked for (the grid's size; the result is near it, not equal). */
  readonly segments: number;
  /** Colour against space: larger makes squarer segments. > 0. */
  readonly compactness: number;
  /** k-means iterations at most; default 10 as skimage. */
  readonly maxIterations?: number;
  /** Checked between iterations: when it answers true, the current assignment is kept. */
  readonly shouldStop?: () => boolean;
}

/** Each pixel's segment. */
export interface Segmentation {
  /** height × width labels, row-major, in 0..count-1. */
  readonly labels: Int32Array;
  readonly count: number;
}

/** skimage's default number of iterations. */
export const SLIC_DEFAULT_ITERATIONS = 10;
/** Segments below this fraction of the mean segment size are merged (skimage's min_size_factor). */
const MIN_SIZE_FACTOR = 0.5;
/** Small pieces stop joining a segment once it holds this many times the mean size (skimage's max_size_factor). */
const MAX_MERGED_SIZE_FACTOR = 3;

// sRGB (D65) → XYZ, and the D65 white point, as skimage.color.rgb2lab.
const XYZ_FROM_RGB = [
  [0.412453, 0.35758, 0.180423],
  [0.212671, 0.71516, 0.072169],
  [0.019334, 0.119193, 0.950227],
] as const;
const D65_WHITE = [0.95047, 1.0, 1.08883] as const;

function linearRgb(value: number): number {
  return value > 0.04045 ? ((value + 0.055) / 1.055) ** 2.4 : value / 12.92;
}

function labF(t: number): number {
  return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116;
}

/** The features SLIC measures colour distance in: Lab for three channels, else the channels scaled to [0, 100]. */
export function slicColourFeatures(pixels: Float64Array, channels: number): Float64Array {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of pixels) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const range = max > min ? max - min : 1;
  const scaled = (value: number) => (Number.isFinite(value) ? (value - min) / range : 0);
  const features = new Float64Array(pixels.length);
  if (channels !== 3) {
    for (let i = 0; i < pixels.length; i++) features[i] = 100 * scaled(pixels[i]!);
    return features;
  }
  for (let p = 0; p < pixels.length; p += 3) {
    const rgb = [
      linearRgb(scaled(pixels[p]!)),
      linearRgb(scaled(pixels[p + 1]!)),
      linearRgb(scaled(pixels[p + 2]!)),
    ];
    const [fx, fy, fz] = XYZ_FROM_RGB.map((row, axis) =>
      labF((row[0] * rgb[0]! + row[1] * rgb[1]! + row[2] * rgb[2]!) / D65_WHITE[axis]!),
    ) as [number, number, number];
    features[p] = 116 * fy - 16;
    features[p + 1] = 500 * (fx - fy);
    features[p + 2] = 200 * (fy - fz);
  }
  return features;
}

/** The grid's first centre and step per axis, as skimage.util.regular_grid over [height, width]. */
function regularGrid(height: number, width: number, points: number): { start: number[]; step: number[] } {
  if (height * width <= points) return { start: [0, 0], step: [1, 1] };
  const dims = [height, width];
  const order = dims[0]! <= dims[1]! ? [0, 1] : [1, 0];
  const sorted = order.map((axis) => dims[axis]!);
  const sizes = [Math.sqrt((height * width) / points), Math.sqrt((height * width) / points)];
  if (sorted[0]! < sizes[0]!) {
    // The short side is shorter than a step: one centre across it, the rest along the long side.
    sizes[0] = sorted[0]!;
    sizes[1] = sorted[1]! / points;
  }
  const start = [0, 0];
  const step = [1, 1];
  order.forEach((axis, rank) => {
    start[axis] = Math.floor(sizes[rank]! / 2);
    step[axis] = Math.max(1, Math.round(sizes[rank]!));
  });
  return { start, step };
}

/**
 * Segments an image into superpixels.
 * @param pixels pixel-major values, height × width × channels (see pixelMajorValues).
 */
export function slic(
  pixels: Float64Array,
  height: number,
  width: number,
  channels: number,
  options: SlicOptions,
): Segmentation {
  if (pixels.length !== height * width * channels) {
    throw new RangeError(`pixels: must hold height × width × channels = ${height * width * channels} values`);
  }
  if (!(options.compactness > 0) || !(options.segments >= 1)) {
    throw new RangeError('options: segments must be at least 1 and compactness above 0');
  }
  const colour = slicColourFeatures(pixels, channels);
  const grid = regularGrid(height, width, options.segments);
  const centreYs: number[] = [];
  const centreXs: number[] = [];
  for (let y = grid.start[0]!; y < height; y += grid.step[0]!) {
    for (let x = grid.start[1]!; x < width; x += grid.step[1]!) {
      centreYs.push(y);
      centreXs.push(x);
    }
  }
  const k = centreYs.length;
  // A centre: y, x, then its colour features.
  const stride = 2 + channels;
  const centres = new Float64Array(k * stride);
  for (let s = 0; s < k; s++) {
    const p = centreYs[s]! * width + centreXs[s]!;
    centres[s * stride] = centreYs[s]!;
    centres[s * stride + 1] = centreXs[s]!;
    for (let c = 0; c < channels; c++) centres[s * stride + 2 + c] = colour[p * channels + c]!;
  }
  const [stepY, stepX] = grid.step as [number, number];
  const spatialWeight = 1 / Math.max(stepY, stepX) ** 2;
  const colourWeight = 1 / options.compactness ** 2;
  const labels = new Int32Array(height * width).fill(-1);
  const distance = new Float64Array(height * width);
  const sums = new Float64Array(k * stride);
  const counts = new Float64Array(k);
  const iterations = options.maxIterations ?? SLIC_DEFAULT_ITERATIONS;
  for (let iteration = 0; iteration < iterations; iteration++) {
    if (iteration > 0 && options.shouldStop?.()) break;
    distance.fill(Number.POSITIVE_INFINITY);
    let changed = false;
    for (let s = 0; s < k; s++) {
      const cy = centres[s * stride]!;
      const cx = centres[s * stride + 1]!;
      const yFrom = Math.max(0, Math.floor(cy - 2 * stepY));
      const yTo = Math.min(height, Math.ceil(cy + 2 * stepY + 1));
      const xFrom = Math.max(0, Math.floor(cx - 2 * stepX));
      const xTo = Math.min(width, Math.ceil(cx + 2 * stepX + 1));
      for (let y = yFrom; y < yTo; y++) {
        for (let x = xFrom; x < xTo; x++) {
          const p = y * width + x;
          let colourDistance = 0;
          for (let c = 0; c < channels; c++) {
            const d = colour[p * channels + c]! - centres[s * stride + 2 + c]!;
            colourDistance += d * d;
          }
          const d2 = ((y - cy) ** 2 + (x - cx) ** 2) * spatialWeight + colourDistance * colourWeight;
          if (d2 < distance[p]!) {
            distance[p] = d2;
            if (labels[p] !== s) {
              labels[p] = s;
              changed = true;
            }
          }
        }
      }
    }
    if (!changed) break;
    sums.fill(0);
    counts.fill(0);
    for (let p = 0; p < labels.length; p++) {
      const s = labels[p]!;
      if (s < 0) continue;
      counts[s]! += 1;
      sums[s * stride]! += Math.floor(p / width);
      sums[s * stride + 1]! += p % width;
      for (let c = 0; c < channels; c++) sums[s * stride + 2 + c]! += colour[p * channels + c]!;
    }
    for (let s = 0; s < k; s++) {
      if (counts[s] === 0) continue;
      for (let f = 0; f < stride; f++) centres[s * stride + f] = sums[s * stride + f]! / counts[s]!;
    }
  }
  const meanSize = (height * width) / k;
  return enforceConnectivity(
    labels,
    height,
    width,
    Math.floor(MIN_SIZE_FACTOR * meanSize),
    MAX_MERGED_SIZE_FACTOR * meanSize,
  );
}

/**
 * Relabels 4-connected pieces of each segment in raster order; a piece smaller than `minSize`
 * joins the piece above or left of its first pixel (as skimage's _enforce_label_connectivity),
 * unless that would grow the piece past `maxSize`: on a noisy image every piece is small, and
 * merging without a cap chains them all into one segment.
 * Pixels no centre reached (labels −1) count as one more segment's pixels and are merged the same way.
 */
export function enforceConnectivity(
  labels: Int32Array,
  height: number,
  width: number,
  minSize: number,
  maxSize = Number.POSITIVE_INFINITY,
): Segmentation {
  const relabelled = new Int32Array(labels.length).fill(-1);
  const sizes: number[] = [];
  const queue = new Int32Array(labels.length);
  let count = 0;
  for (let start = 0; start < labels.length; start++) {
    if (relabelled[start] !== -1) continue;
    const y0 = Math.floor(start / width);
    const x0 = start % width;
    // Raster order: the pixels above and to the left are already relabelled.
    const adjacent = x0 > 0 ? relabelled[start - 1]! : y0 > 0 ? relabelled[start - width]! : -1;
    const label = labels[start]!;
    relabelled[start] = count;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    while (head < tail) {
      const p = queue[head++]!;
      const y = Math.floor(p / width);
      const x = p % width;
      const neighbours = [
        y > 0 ? p - width : -1,
        y < height - 1 ? p + width : -1,
        x > 0 ? p - 1 : -1,
        x < width - 1 ? p + 1 : -1,
      ];
      for (const q of neighbours) {
        if (q >= 0 && relabelled[q] === -1 && labels[q] === label) {
          relabelled[q] = count;
          queue[tail++] = q;
        }
      }
    }
    if (tail < minSize && adjacent >= 0 && sizes[adjacent]! + tail <= maxSize) {
      for (let i = 0; i < tail; i++) relabelled[queue[i]!] = adjacent;
      sizes[adjacent]! += tail;
    } else {
      sizes.push(tail);
      count++;
    }
  }
  return { labels: relabelled, count };
}
