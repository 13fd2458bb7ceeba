import { describe, expect, it } from 'vitest';
import { generateShapeSet, SHAPE_CLASSES, SHAPE_IMAGE } from './shapes-generator.js';
import { decodeGrayPng, encodeGrayPng } from './shapes-png.js';

describe('generateShapeSet', () => {
  const set = generateShapeSet(200, 3);

  it('is the same for the same seed and differs for another', () => {
    const again = generateShapeSet(200, 3);
    expect(again.images.map((image) => Array.from(image.pixels))).toEqual(
      set.images.map((image) => Array.from(image.pixels)),
    );
    expect(Array.from(generateShapeSet(1, 4).images[0]!.pixels)).not.toEqual(
      Array.from(set.images[0]!.pixels),
    );
  });

  it('alternates the classes, so any multiple of 4 images is balanced', () => {
    expect(set.images.slice(0, 8).map((image) => image.label)).toEqual([0, 1, 2, 3, 0, 1, 2, 3]);
    expect(SHAPE_CLASSES).toEqual(['circle', 'square', 'triangle', 'cross']);
  });

  it('draws bright shape pixels where the mask says and dim noise elsewhere, in bytes / 255', () => {
    const { backgroundNoise, minBrightness, shapeNoise, size } = SHAPE_IMAGE;
    for (const image of set.images) {
      expect(image.pixels).toHaveLength(size * size);
      let shapePixels = 0;
      const wrong: string[] = [];
      for (let i = 0; i < image.pixels.length; i++) {
        const value = image.pixels[i]!;
        if (Math.abs(value * 255 - Math.round(value * 255)) > 1e-4) wrong.push(`${i}: ${value} not a byte`);
        if (image.mask[i] === 1) {
          shapePixels++;
          if (value < minBrightness - shapeNoise - 1 / 255) wrong.push(`${i}: shape pixel ${value}`);
        } else if (value > backgroundNoise + 1 / 255) {
          wrong.push(`${i}: background pixel ${value}`);
        }
      }
      expect(wrong).toEqual([]);
      // The smallest shape (a cross of radius 6) still covers tens of pixels; none fills the image.
      expect(shapePixels).toBeGreaterThan(20);
      expect(shapePixels).toBeLessThan(0.5 * size * size);
    }
  });

  it('keeps every shape off the border', () => {
    const { size } = SHAPE_IMAGE;
    for (const image of set.images) {
      let onBorder = 0;
      for (let k = 0; k < size; k++) {
        onBorder += image.mask[k]! + image.mask[(size - 1) * size + k]!; // top and bottom rows
        onBorder += image.mask[k * size]! + image.mask[k * size + size - 1]!; // left and right columns
      }
      expect(onBorder).toBe(0);
    }
  });

  it('draws each class as its geometry: a cross leaves its bounding box corners empty, a square fills them', () => {
    const size: number = SHAPE_IMAGE.size;
    const cornerFill = (mask: Uint8Array) => {
      let [top, bottom, left, right] = [size, -1, size, -1];
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          if (mask[y * size + x] !== 1) continue;
          [top, bottom, left, right] = [
            Math.min(top, y),
            Math.max(bottom, y),
            Math.min(left, x),
            Math.max(right, x),
          ];
        }
      }
      return [
        mask[top * size + left],
        mask[top * size + right],
        mask[bottom * size + left],
        mask[bottom * size + right],
      ];
    };
    for (const image of set.images) {
      const corners = cornerFill(image.mask);
      if (SHAPE_CLASSES[image.label] === 'square') expect(corners).toEqual([1, 1, 1, 1]);
      if (SHAPE_CLASSES[image.label] === 'cross' || SHAPE_CLASSES[image.label] === 'circle') {
        expect(corners).toEqual([0, 0, 0, 0]);
      }
      if (SHAPE_CLASSES[image.label] === 'triangle') expect(corners.slice(0, 2)).toEqual([0, 0]);
    }
  });
});

describe('grayscale PNG', () => {
  it('round-trips a generated image exactly through pngjs', () => {
    const image = generateShapeSet(1, 9).images[0]!;
    const bytes = encodeGrayPng(image.pixels, SHAPE_IMAGE.size, SHAPE_IMAGE.size);
    expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
    const decoded = decodeGrayPng(bytes);
    expect([decoded.width, decoded.height]).toEqual([32, 32]);
    expect(Array.from(decoded.pixels)).toEqual(Array.from(image.pixels));
  });

  it('refuses a pixel count that is not width × height', () => {
    expect(() => encodeGrayPng(new Float32Array(5), 2, 2)).toThrow(RangeError);
  });
});
