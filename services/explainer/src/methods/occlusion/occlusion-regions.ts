/**
 * The regions occlusion fills: sliding square windows or SLIC superpixels, each a list of
 * pixels (y × width + x); filling a region sets every channel of its pixels.
 */
import { type ImageGeometry, pixelMajorValues } from '../image/image-geometry.js';
import { slic } from './slic.js';

/** A set of pixels filled together. */
export type Region = Int32Array;

/**
 * Window positions along one side: 0, stride, 2·stride, ... while the window fits, and one
 * more flush with the far edge when the stride leaves pixels uncovered, so every pixel is
 * covered at least once (Captum leaves those pixels without attribution).
 */
export function windowStarts(side: number, window: number, stride: number): number[] {
  const starts: number[] = [];
  for (let start = 0; start + window <= side; start += stride) starts.push(start);
  const last = side - window;
  if (starts[starts.length - 1] !== last) starts.push(last);
  return starts;
}

/** Square windows of side `window` every `stride` pixels, row by row. */
export function windowRegions(geometry: ImageGeometry, window: number, stride: number): Region[] {
  const regions: Region[] = [];
  for (const top of windowStarts(geometry.height, window, stride)) {
    for (const left of windowStarts(geometry.width, window, stride)) {
      const region = new Int32Array(window * window);
      let i = 0;
      for (let y = top; y < top + window; y++) {
        for (let x = left; x < left + window; x++) region[i++] = y * geometry.width + x;
      }
      regions.push(region);
    }
  }
  return regions;
}

/** SLIC superpixels of the image in `row`, one region per segment. */
export function superpixelRegions(
  row: ArrayLike<number>,
  geometry: ImageGeometry,
  segments: number,
  compactness: number,
  shouldStop?: () => boolean,
): Region[] {
  const pixels = pixelMajorValues(row, geometry);
  const segmentation = slic(pixels, geometry.height, geometry.width, geometry.channels, {
    segments,
    compactness,
    ...(shouldStop ? { shouldStop } : {}),
  });
  const sizes = new Int32Array(segmentation.count);
  for (const label of segmentation.labels) sizes[label]! += 1;
  const regions = Array.from(sizes, (size) => new Int32Array(size));
  const filled = new Int32Array(segmentation.count);
  segmentation.labels.forEach((label, pixel) => {
    regions[label]![filled[label]!++] = pixel;
  });
  return regions;
}
