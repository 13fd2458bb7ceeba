import { InvalidArgumentError } from '@sightline/errors';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heatmapOf } from './heatmap.js';
import {
  elementIndex,
  type ImageLayoutName,
  imageGeometry,
  pixelChannelOf,
  pixelElementIndices,
  pixelMajorValues,
} from './image-geometry.js';

const LAYOUTS: ImageLayoutName[] = ['channels-last', 'channels-first', 'grayscale'];

/** A per-row shape for the layout and sizes. */
function shapeOf(layout: ImageLayoutName, height: number, width: number, channels: number): number[] {
  if (layout === 'channels-last') return [height, width, channels];
  if (layout === 'channels-first') return [channels, height, width];
  return channels === 1 ? [height, width, 1] : [height, width];
}

const anyImage = fc.record({
  layout: fc.constantFrom(...LAYOUTS),
  height: fc.integer({ min: 1, max: 9 }),
  width: fc.integer({ min: 1, max: 9 }),
  channels: fc.integer({ min: 1, max: 4 }),
  offset: fc.integer({ min: 0, max: 50 }),
});

describe('imageGeometry', () => {
  it('reads height, width and channels in each layout', () => {
    expect(imageGeometry([64, 32, 3], 'channels-last')).toMatchObject({ height: 64, width: 32, channels: 3 });
    expect(imageGeometry([3, 64, 32], 'channels-first')).toMatchObject({
      height: 64,
      width: 32,
      channels: 3,
    });
    expect(imageGeometry([64, 32], 'grayscale')).toMatchObject({ height: 64, width: 32, channels: 1 });
    expect(imageGeometry([64, 32, 1], 'grayscale')).toMatchObject({ elementCount: 2048, pixelCount: 2048 });
  });

  it('places elements as each layout stores them', () => {
    // channels first [3, 2, 2]: channel planes one after another.
    const first = imageGeometry([3, 2, 2], 'channels-first', 5);
    expect(elementIndex(first, 1, 0, 2)).toBe(5 + 2 * 4 + 1 * 2 + 0);
    // channels last [2, 2, 3]: a pixel's channels side by side.
    const last = imageGeometry([2, 2, 3], 'channels-last');
    expect(elementIndex(last, 1, 0, 2)).toBe((1 * 2 + 0) * 3 + 2);
    expect(pixelElementIndices(last, 3)).toEqual([9, 10, 11]);
    expect(pixelElementIndices(first, 3)).toEqual([8, 12, 16]);
  });

  it('rejects shapes that are not images in the layout, naming the field and the rule', () => {
    for (const [shape, layout] of [
      [[64, 64], 'channels-last'],
      [[1, 3, 64, 64], 'channels-first'],
      [[64, 64, 3], 'grayscale'],
      [[0, 64, 3], 'channels-last'],
    ] as const) {
      expect(() => imageGeometry(shape, layout, 0, 'image.tensor')).toThrow(InvalidArgumentError);
      expect(() => imageGeometry(shape, layout, 0, 'image.tensor')).toThrow(
        /^image\.tensor: .*rule "image\.shape"/,
      );
    }
  });

  it('maps every element to a pixel and channel and back, one to one, in every layout', () => {
    fc.assert(
      fc.property(anyImage, ({ layout, height, width, channels, offset }) => {
        const geometry = imageGeometry(
          shapeOf(layout, height, width, layout === 'grayscale' ? 1 : channels),
          layout,
          offset,
        );
        const seen = new Set<number>();
        for (let y = 0; y < geometry.height; y++) {
          for (let x = 0; x < geometry.width; x++) {
            for (let c = 0; c < geometry.channels; c++) {
              const index = elementIndex(geometry, y, x, c);
              expect(pixelChannelOf(geometry, index)).toEqual({ y, x, c });
              seen.add(index);
            }
          }
        }
        expect(seen.size).toBe(geometry.elementCount);
        expect(Math.min(...seen)).toBe(offset);
        expect(Math.max(...seen)).toBe(offset + geometry.elementCount - 1);
      }),
    );
  });

  it('rejects indices outside the image', () => {
    const geometry = imageGeometry([2, 2, 3], 'channels-last', 4);
    expect(() => pixelChannelOf(geometry, 3)).toThrow(RangeError);
    expect(() => pixelChannelOf(geometry, 16)).toThrow(RangeError);
  });

  it('reads pixel-major values out of any layout', () => {
    const geometry = imageGeometry([2, 1, 2], 'channels-first', 1);
    // row: [other, c0(y0), c0(y1), c1(y0), c1(y1)]
    expect(Array.from(pixelMajorValues([9, 1, 2, 3, 4], geometry))).toEqual([1, 3, 2, 4]);
  });
});

describe('heatmapOf', () => {
  it('sums channels keeping the sign, so the heatmap adds up to the attributions (completeness)', () => {
    fc.assert(
      fc.property(
        anyImage,
        fc.array(fc.double({ min: -10, max: 10, noNaN: true }), { minLength: 2000, maxLength: 2000 }),
        ({ layout, height, width, channels, offset }, values) => {
          const geometry = imageGeometry(
            shapeOf(layout, height, width, layout === 'grayscale' ? 1 : channels),
            layout,
            offset,
          );
          const attributions = values.slice(0, offset + geometry.elementCount);
          const summed = heatmapOf(attributions, geometry, 'sum');
          const absolute = heatmapOf(attributions, geometry, 'abs-sum');
          const imageTotal = attributions.slice(offset).reduce((sum, value) => sum + value, 0);
          const heatmapTotal = summed.values.reduce((sum, value) => sum + value, 0);
          expect(heatmapTotal).toBeCloseTo(imageTotal, 8);
          for (let y = 0; y < geometry.height; y++) {
            for (let x = 0; x < geometry.width; x++) {
              let sum = 0;
              let abs = 0;
              for (let c = 0; c < geometry.channels; c++) {
                sum += attributions[elementIndex(geometry, y, x, c)]!;
                abs += Math.abs(attributions[elementIndex(geometry, y, x, c)]!);
              }
              expect(summed.values[y * geometry.width + x]).toBeCloseTo(sum, 10);
              expect(absolute.values[y * geometry.width + x]).toBeCloseTo(abs, 10);
            }
          }
          expect(summed.min).toBe(Math.min(...summed.values));
          expect(summed.max).toBe(Math.max(...summed.values));
          expect(absolute.min).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses attributions that stop before the image ends', () => {
    expect(() => heatmapOf([1, 2, 3], imageGeometry([2, 2], 'grayscale'), 'sum')).toThrow(RangeError);
  });
});
