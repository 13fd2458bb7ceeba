/**
 * SLIC superpixels (Achanta et al. 2012), written after scikit-image 0.19's `slic` because no
 * well-kept npm package offers it (the registry's list has carousels named "slick" and nothing
 * for superpixels). As skimage: centres on skimage's `regular_grid`, their colour starting at
 * 0 (so the first assignment is the grid's); pixels join the nearest centre within 2 grid
 * steps by D² = (d_colour / compactness)² + (d_xy / step)²; 10 k-means iterations at most;
 * then connectivity is enforced (pieces below half the mean segment size join a piece they
 * touch), so every segment is one 4-connected piece. On the images of
 * test/fixtures/slic it gives skimage's labels exactly (test/slic-reference.test.ts).
 *
 * Where it differs, on purpose:
 * - Colour space. skimage converts RGB in [0, 1] to CIELAB (L in 0-100) and uses other channel
 *   counts as they are; compactness 10 is tuned for Lab's range. Model inputs come in any
 *   range (0-255, 0-1, normalised), so the image is first scaled by its own minimum and
 *   maximum: three channels to [0, 1] and then to Lab, any other count to [0, 100], so that
 *   compactness means the same for a grayscale image as for a colour one.
 * - Merging. A small piece joins another only while that keeps it within 3 × the mean size
 *   (skimage's max_size_factor): skimage merges without a cap, which on a noisy image chains
 *   the pieces into a few huge segments.
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
/** Pieces stop growing, and small pieces stop joining them, at this many times the mean segment size (skimage's max_size_factor). */
const MAX_SIZE_FACTOR = 3;

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

/** numpy's round: halves to the even neighbour. */
function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** The grid's first centre and step per axis, as skimage.util.regular_grid over [1, height, width]. */
export function regularGrid(
  height: number,
  width: number,
  points: number,
): { start: number[]; step: number[] } {
  if (height * width <= points) return { start: [0, 0], step: [1, 1] };
  const order = height <= width ? [0, 1] : [1, 0];
  const sorted = order.map((axis) => [height, width][axis]!);
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
    step[axis] = Math.max(1, roundHalfEven(sizes[rank]!));
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
  // Colour scaled by 1 / compactness, as skimage scales the image before measuring.
  const colour = slicColourFeatures(pixels, channels).map((value) => value / options.compactness);
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
  // A centre: y, x, then its colour features, which start at 0 as skimage's do: every
  // candidate of a pixel then differs only in distance, so the first assignment is the grid's.
  const stride = 2 + channels;
  const centres = new Float64Array(k * stride);
  for (let s = 0; s < k; s++) {
    centres[s * stride] = centreYs[s]!;
    centres[s * stride + 1] = centreXs[s]!;
  }
  const spatialWeight = 1 / Math.max(...grid.step) ** 2;
  // skimage's search window: 2 grid steps of a grid laid for the centres actually placed.
  const [stepY, stepX] = regularGrid(height, width, k).step as [number, number];
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
      const yFrom = Math.trunc(Math.max(cy - 2 * stepY, 0));
      const yTo = Math.trunc(Math.min(cy + 2 * stepY + 1, height));
      const xFrom = Math.trunc(Math.max(cx - 2 * stepX, 0));
      const xTo = Math.trunc(Math.min(cx + 2 * stepX + 1, width));
      for (let y = yFrom; y < yTo; y++) {
        for (let x = xFrom; x < xTo; x++) {
          const p = y * width + x;
          let colourDistance = 0;
          for (let c = 0; c < channels; c++) {
            const d = colour[p * channels + c]! - centres[s * stride + 2 + c]!;
            colourDistance += d * d;
          }
          const d2 = ((cy - y) ** 2 + (cx - x) ** 2) * spatialWeight + colourDistance;
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
    Math.floor(MAX_SIZE_FACTOR * meanSize),
  );
}

/**
 * Relabels 4-connected pieces of each segment in raster order, as skimage's
 * _enforce_label_connectivity: a piece grows breadth first up to `maxSize` pixels (a larger
 * one is cut, the rest starting new pieces), and a piece smaller than `minSize` joins the last
 * other piece it was found to touch. One addition: a piece joins only while that keeps the
 * other piece within `maxSize` — on a noisy image every piece is small, and skimage's merging
 * chains them into a few huge segments.
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
    const label = labels[start]!;
    let adjacent = -1;
    relabelled[start] = count;
    let head = 0;
    let tail = 0;
    queue[tail++] = start;
    grow: while (head < tail && tail < maxSize) {
      const p = queue[head++]!;
      const y = Math.floor(p / width);
      const x = p % width;
      // skimage's neighbour order: x + 1, x − 1, y + 1, y − 1.
      const neighbours = [
        x < width - 1 ? p + 1 : -1,
        x > 0 ? p - 1 : -1,
        y < height - 1 ? p + width : -1,
        y > 0 ? p - width : -1,
      ];
      for (const q of neighbours) {
        if (q < 0) continue;
        if (labels[q] === label && relabelled[q] === -1) {
          relabelled[q] = count;
          queue[tail++] = q;
          if (tail >= maxSize) break grow;
        } else if (relabelled[q] !== -1 && relabelled[q] !== count) {
          adjacent = relabelled[q]!;
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
