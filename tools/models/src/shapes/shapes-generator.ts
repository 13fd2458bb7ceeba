import { type SeededRandom, seededRandom } from '@sightline/stats';

/** The shapes example's classes, by their index in the model's output. */
export const SHAPE_CLASSES = Object.freeze(['circle', 'square', 'triangle', 'cross'] as const);
/** One class name. */
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/**
 * How the images are drawn. Grayscale, so the model's input is [32, 32, 1] and a pixel is
 * one value in [0, 1] (the PNG's byte / 255: values are multiples of 1/255, so an image
 * written as PNG and read back is the same tensor).
 */
export const SHAPE_IMAGE = Object.freeze({
  size: 32,
  /** Background pixels: uniform noise in [0, backgroundNoise). */
  backgroundNoise: 0.15,
  /** Shape pixels: one brightness per image in [minBrightness, 1), plus pixel noise of ± shapeNoise. */
  minBrightness: 0.6,
  shapeNoise: 0.05,
  /** The shape's "radius" (half its extent) in pixels: uniform in [minRadius, maxRadius). */
  minRadius: 6,
  maxRadius: 11,
});

/** One generated image, with what the generator knows about it. */
export interface ShapeImage {
  /** size × size values in [0, 1], row-major (multiples of 1/255). */
  readonly pixels: Float32Array;
  /** size × size flags: 1 where the shape is drawn, 0 on the background. */
  readonly mask: Uint8Array;
  /** The class index in {@link SHAPE_CLASSES}. */
  readonly label: number;
}

/** A set of images, `count` of them, classes in turn (balanced), seeded. */
export interface ShapeSet {
  readonly images: readonly ShapeImage[];
  readonly size: number;
}

/**
 * Draws `count` images, class `i % 4` for the i-th, each at a random position and size on
 * a noisy background; the same seed gives the same images.
 */
export function generateShapeSet(count: number, seed: number): ShapeSet {
  const random = seededRandom(seed);
  const images: ShapeImage[] = [];
  for (let i = 0; i < count; i++) images.push(drawShape(random, i % SHAPE_CLASSES.length));
  return { images, size: SHAPE_IMAGE.size };
}

/** One image of class `label`. */
export function drawShape(random: SeededRandom, label: number): ShapeImage {
  const { size, backgroundNoise, minBrightness, shapeNoise, minRadius, maxRadius } = SHAPE_IMAGE;
  const radius = minRadius + random.nextFloat() * (maxRadius - minRadius);
  // The centre keeps the whole shape (and a pixel of margin) inside the image.
  const centre = () => radius + 1 + random.nextFloat() * (size - 2 * radius - 2);
  const cx = centre();
  const cy = centre();
  const brightness = minBrightness + random.nextFloat() * (1 - minBrightness);
  const inside = insideTest(SHAPE_CLASSES[label]!, cx, cy, radius);
  const pixels = new Float32Array(size * size);
  const mask = new Uint8Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const index = y * size + x;
      // Pixel centres decide membership, so the mask is exact.
      let value: number;
      if (inside(x + 0.5, y + 0.5)) {
        mask[index] = 1;
        value = brightness + (2 * random.nextFloat() - 1) * shapeNoise;
      } else {
        value = random.nextFloat() * backgroundNoise;
      }
      pixels[index] = Math.round(Math.min(1, Math.max(0, value)) * 255) / 255;
    }
  }
  return { pixels, mask, label };
}

/** Whether a point lies in the shape: circle, axis-aligned square, upright triangle, plus sign. */
function insideTest(shape: ShapeClass, cx: number, cy: number, r: number): (x: number, y: number) => boolean {
  switch (shape) {
    case 'circle':
      return (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
    case 'square': {
      // A side of 1.6 r gives about the area of the circle (2.56 r² against 3.14 r²).
      const half = 0.8 * r;
      return (x, y) => Math.abs(x - cx) <= half && Math.abs(y - cy) <= half;
    }
    case 'triangle':
      // Apex at the top (cy − r), base at cy + r, r wide either side at the base.
      return (x, y) => y >= cy - r && y <= cy + r && Math.abs(x - cx) <= (y - (cy - r)) / 2;
    case 'cross': {
      const halfBar = Math.max(1, 0.25 * r);
      return (x, y) =>
        (Math.abs(x - cx) <= halfBar && Math.abs(y - cy) <= r) ||
        (Math.abs(y - cy) <= halfBar && Math.abs(x - cx) <= r);
    }
  }
}
