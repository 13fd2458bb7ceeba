import { seededRandom } from '@sightline/stats';
import { describe, expect, it } from 'vitest';
import { enforceConnectivity, slic, slicColourFeatures } from './slic.js';

/** Whether every label's pixels form one 4-connected piece. */
function eachLabelConnected(labels: Int32Array, height: number, width: number, count: number): boolean {
  const seen = new Uint8Array(labels.length);
  let pieces = 0;
  for (let start = 0; start < labels.length; start++) {
    if (seen[start]) continue;
    pieces++;
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const p = stack.pop()!;
      const y = Math.floor(p / width);
      const x = p % width;
      for (const [ny, nx] of [
        [y - 1, x],
        [y + 1, x],
        [y, x - 1],
        [y, x + 1],
      ] as const) {
        const q = ny * width + nx;
        if (ny >= 0 && ny < height && nx >= 0 && nx < width && !seen[q] && labels[q] === labels[p]) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
  }
  return pieces === count;
}

/** A height × width RGB image (pixel-major) of smooth seeded noise: blobs of colour, like a photograph's regions. */
function noiseImage(height: number, width: number, seed: number): Float64Array {
  const random = seededRandom(seed);
  const blobs = Array.from({ length: 12 }, () => ({
    y: random.nextFloat() * height,
    x: random.nextFloat() * width,
    colour: [random.nextFloat(), random.nextFloat(), random.nextFloat()],
  }));
  const pixels = new Float64Array(height * width * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let nearest = blobs[0]!;
      let best = Number.POSITIVE_INFINITY;
      for (const blob of blobs) {
        const d = (blob.y - y) ** 2 + (blob.x - x) ** 2;
        if (d < best) {
          best = d;
          nearest = blob;
        }
      }
      for (let c = 0; c < 3; c++)
        pixels[(y * width + x) * 3 + c] = nearest.colour[c]! + 0.05 * random.nextFloat();
    }
  }
  return pixels;
}

describe('slicColourFeatures', () => {
  it('converts RGB to CIELAB as skimage.color.rgb2lab does (D65)', () => {
    // The image is scaled by its own range first; black and white pin it to [0, 1].
    const lab = slicColourFeatures(new Float64Array([0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1]), 3);
    const rounded = Array.from(lab, (value) => Math.round(value * 100) / 100);
    // skimage: rgb2lab of black, white, red and blue.
    expect(rounded.slice(0, 3)).toEqual([0, 0, 0]);
    expect(rounded[3]).toBeCloseTo(100, 1);
    expect(Math.abs(rounded[4]!)).toBeLessThan(0.01);
    expect(Math.abs(rounded[5]!)).toBeLessThan(0.01);
    expect(rounded.slice(6, 9)).toEqual([53.24, 80.09, 67.2]);
    expect(rounded.slice(9, 12)).toEqual([32.3, 79.19, -107.86]);
  });

  it('scales other channel counts to [0, 100] by the image range, whatever the input range', () => {
    expect(Array.from(slicColourFeatures(new Float64Array([0, 127.5, 255]), 1))).toEqual([0, 50, 100]);
    expect(Array.from(slicColourFeatures(new Float64Array([3, 3]), 1))).toEqual([0, 0]);
  });
});

describe('slic', () => {
  it('makes segments near the count asked for, each one 4-connected piece', () => {
    for (const segments of [10, 50, 200]) {
      const { labels, count } = slic(noiseImage(64, 64, segments), 64, 64, 3, { segments, compactness: 10 });
      expect(count).toBeGreaterThanOrEqual(Math.floor(segments * 0.5));
      expect(count).toBeLessThanOrEqual(Math.ceil(segments * 1.5));
      expect(Math.min(...labels)).toBe(0);
      expect(Math.max(...labels)).toBe(count - 1);
      expect(eachLabelConnected(labels, 64, 64, count)).toBe(true);
    }
  });

  it('follows colour edges: no segment of a four-colour image crosses a quadrant boundary', () => {
    const size = 32;
    const colours = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
      [1, 1, 0],
    ];
    const pixels = new Float64Array(size * size * 3);
    const quadrantOf = (y: number, x: number) => (y < size / 2 ? 0 : 2) + (x < size / 2 ? 0 : 1);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) pixels.set(colours[quadrantOf(y, x)]!, (y * size + x) * 3);
    }
    // 9 segments on a 32-pixel side: grid steps of ~11, which do not line up with the edges at 16.
    const { labels, count } = slic(pixels, size, size, 3, { segments: 9, compactness: 10 });
    const quadrantsOfLabel = Array.from({ length: count }, () => new Set<number>());
    labels.forEach((label, p) => {
      quadrantsOfLabel[label]!.add(quadrantOf(Math.floor(p / size), p % size));
    });
    for (const quadrants of quadrantsOfLabel) expect(quadrants.size).toBe(1);
  });

  it('segments grayscale and thin images', () => {
    const rgb = noiseImage(40, 30, 3);
    const gray = Float64Array.from({ length: 40 * 30 }, (_, p) => 255 * rgb[p * 3]!);
    const { labels, count } = slic(gray, 40, 30, 1, { segments: 20, compactness: 10 });
    expect(count).toBeGreaterThanOrEqual(10);
    expect(count).toBeLessThanOrEqual(30);
    expect(eachLabelConnected(labels, 40, 30, count)).toBe(true);
    const thin = slic(
      new Float64Array(2 * 100).map((_, i) => i % 7),
      2,
      100,
      1,
      { segments: 10, compactness: 10 },
    );
    expect(thin.count).toBeGreaterThanOrEqual(5);
    expect(eachLabelConnected(thin.labels, 2, 100, thin.count)).toBe(true);
  });

  it('does not chain the pieces of a pure-noise image into one segment', () => {
    const random = seededRandom(3);
    const noise = Float64Array.from({ length: 40 * 30 }, () => random.nextFloat());
    const { labels, count } = slic(noise, 40, 30, 1, { segments: 20, compactness: 10 });
    expect(count).toBeGreaterThanOrEqual(10);
    expect(eachLabelConnected(labels, 40, 30, count)).toBe(true);
  });

  it('gives every pixel its own segment when more segments than pixels are asked for', () => {
    const { count } = slic(new Float64Array([0, 1, 2, 3]), 2, 2, 1, { segments: 50, compactness: 10 });
    expect(count).toBe(4);
  });
});

describe('enforceConnectivity', () => {
  it('splits a label in two pieces and merges pieces below the minimum size into a neighbour', () => {
    // 1 × 7: label 0 in two pieces around a single pixel of label 1.
    const labels = Int32Array.from([0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(enforceConnectivity(labels, 1, 7, 0).labels)).toEqual([0, 0, 0, 1, 2, 2, 2]);
    expect(Array.from(enforceConnectivity(labels, 1, 7, 2).labels)).toEqual([0, 0, 0, 0, 1, 1, 1]);
    // A cap of 3 pixels keeps the single pixel apart from the 3-pixel piece before it.
    expect(Array.from(enforceConnectivity(labels, 1, 7, 2, 3).labels)).toEqual([0, 0, 0, 1, 2, 2, 2]);
  });
});
