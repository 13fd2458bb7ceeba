/**
 * Occlusion on linear models, where every drop is known in closed form: filling a region with
 * 0 drops f(x) = Σ w·x by the region's Σ w·x. The heatmap must be, per pixel, the mean of
 * those sums over the windows covering it, for any image size, layout, window and stride.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countingRowEvaluator, testContext } from '../../../test/support/counting-row-evaluator.js';
import { elementIndex, type ImageLayoutName, imageGeometry } from '../image/image-geometry.js';
import { occlusion } from './index.js';
import { windowStarts } from './occlusion-regions.js';

const anyCase = fc
  .record({
    layout: fc.constantFrom<ImageLayoutName>('channels-last', 'channels-first', 'grayscale'),
    height: fc.integer({ min: 1, max: 10 }),
    width: fc.integer({ min: 1, max: 10 }),
    channels: fc.integer({ min: 1, max: 3 }),
    seed: fc.integer(),
  })
  .chain((image) =>
    fc.record({
      image: fc.constant(image),
      window: fc.integer({ min: 1, max: Math.min(image.height, image.width) }),
    }),
  )
  .chain((settings) =>
    fc.record({
      image: fc.constant(settings.image),
      window: fc.constant(settings.window),
      stride: fc.integer({ min: 1, max: settings.window }),
    }),
  );

/** Deterministic pseudo-random values in [-1, 1) from a seed (the property's own data). */
function valuesFrom(seed: number, count: number): Float64Array {
  let state = seed >>> 0 || 1;
  return Float64Array.from({ length: count }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 2 ** 32) * 2 - 1;
  });
}

describe('occlusion on a linear model', () => {
  it('gives each pixel the mean, over the windows covering it, of the windows’ Σ w·x', async () => {
    await fc.assert(
      fc.asyncProperty(anyCase, async ({ image, window, stride }) => {
        const channels = image.layout === 'grayscale' ? 1 : image.channels;
        const shape =
          image.layout === 'channels-first'
            ? [channels, image.height, image.width]
            : image.layout === 'grayscale'
              ? [image.height, image.width]
              : [image.height, image.width, channels];
        const geometry = imageGeometry(shape, image.layout);
        const n = geometry.elementCount;
        const weights = valuesFrom(image.seed, n);
        const instance = valuesFrom(image.seed ^ 0x5bd1e995, n);
        const model = (rows: Float64Array, count: number) =>
          Float64Array.from({ length: count }, (_, r) => {
            let sum = 0;
            for (let i = 0; i < n; i++) sum += weights[i]! * rows[r * n + i]!;
            return sum;
          });
        const outcome = await occlusion.explainRow(
          instance,
          {
            image: { tensor: 'x', geometry, reduction: 'sum', includeFeatureAttributions: false },
            masking: 'windows',
            window,
            stride,
            segments: 50,
            compactness: 10,
            fillValue: 0,
          },
          testContext(countingRowEvaluator(n, 1, model, { maxRowsPerCall: 7 })),
        );
        // The reference, from the definition.
        const contribution = (y: number, x: number) => {
          let sum = 0;
          for (let c = 0; c < channels; c++) {
            const i = elementIndex(geometry, y, x, c);
            sum += weights[i]! * instance[i]!;
          }
          return sum;
        };
        const sums = new Float64Array(geometry.pixelCount);
        const counts = new Float64Array(geometry.pixelCount);
        for (const top of windowStarts(image.height, window, stride)) {
          for (const left of windowStarts(image.width, window, stride)) {
            let drop = 0;
            for (let y = top; y < top + window; y++)
              for (let x = left; x < left + window; x++) drop += contribution(y, x);
            for (let y = top; y < top + window; y++) {
              for (let x = left; x < left + window; x++) {
                sums[y * image.width + x]! += drop;
                counts[y * image.width + x]! += 1;
              }
            }
          }
        }
        const { heatmap, prediction, expectedValue } = outcome.result.outputs[0]!;
        expect(expectedValue).toBe(0);
        let total = 0;
        for (let y = 0; y < image.height; y++)
          for (let x = 0; x < image.width; x++) total += contribution(y, x);
        expect(prediction).toBeCloseTo(total, 9);
        for (let p = 0; p < geometry.pixelCount; p++) {
          expect(counts[p]).toBeGreaterThan(0);
          expect(heatmap.values[p]).toBeCloseTo(sums[p]! / counts[p]!, 9);
        }
      }),
      { numRuns: 60, seed: 13 },
    );
  });
});
