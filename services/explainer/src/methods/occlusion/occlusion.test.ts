import { describe, expect, it } from 'vitest';
import { countingRowEvaluator, testContext } from '../../../test/support/counting-row-evaluator.js';
import type { ChannelReductionName } from '../image/heatmap.js';
import {
  elementIndex,
  type ImageGeometry,
  type ImageLayoutName,
  imageGeometry,
} from '../image/image-geometry.js';
import { occlusion } from './index.js';
import { windowStarts } from './occlusion-regions.js';
import type { OcclusionParams } from './occlusion-types.js';

interface Square {
  readonly top: number;
  readonly left: number;
  readonly side: number;
}

const inSquare = (square: Square, y: number, x: number) =>
  y >= square.top && y < square.top + square.side && x >= square.left && x < square.left + square.side;

/** A model whose output is the sum of the square's elements (every channel): it sees nothing else. */
function squareSumModel(geometry: ImageGeometry, squares: readonly Square[]) {
  return (rows: Float64Array, count: number): Float64Array => {
    const featureCount = rows.length / count;
    const scores = new Float64Array(count * squares.length);
    for (let r = 0; r < count; r++) {
      squares.forEach((square, o) => {
        let sum = 0;
        for (let y = square.top; y < square.top + square.side; y++) {
          for (let x = square.left; x < square.left + square.side; x++) {
            for (let c = 0; c < geometry.channels; c++)
              sum += rows[r * featureCount + elementIndex(geometry, y, x, c)]!;
          }
        }
        scores[r * squares.length + o] = sum;
      });
    }
    return scores;
  };
}

function paramsFor(
  geometry: ImageGeometry,
  overrides: Partial<OcclusionParams> = {},
  reduction: ChannelReductionName = 'sum',
): OcclusionParams {
  return {
    image: { tensor: 'image', geometry, reduction, includeFeatureAttributions: false },
    masking: 'windows',
    window: 8,
    stride: 4,
    segments: 50,
    compactness: 10,
    fillValue: 0,
    ...overrides,
  };
}

const SHAPES: Record<ImageLayoutName, number[]> = {
  'channels-last': [32, 32, 3],
  'channels-first': [3, 32, 32],
  grayscale: [32, 32],
};

describe('windowStarts', () => {
  it('covers the whole side, adding a window flush with the far edge when the stride leaves pixels out', () => {
    expect(windowStarts(32, 8, 4)).toEqual([0, 4, 8, 12, 16, 20, 24]);
    expect(windowStarts(10, 4, 4)).toEqual([0, 4, 6]);
    expect(windowStarts(5, 5, 2)).toEqual([0]);
  });
});

describe('occlusion', () => {
  for (const layout of Object.keys(SHAPES) as ImageLayoutName[]) {
    it(`puts the heatmap's mass on the only square the model sees, none where windows never touch it (${layout})`, async () => {
      const geometry = imageGeometry(SHAPES[layout], layout);
      const square = { top: 12, left: 16, side: 6 };
      const evaluator = countingRowEvaluator(geometry.elementCount, 1, squareSumModel(geometry, [square]), {
        maxRowsPerCall: 16,
      });
      const instance = new Float64Array(geometry.elementCount).fill(1);
      const context = testContext(evaluator);
      const outcome = await occlusion.explainRow(instance, paramsFor(geometry), context);
      expect(outcome.complete).toBe(true);
      expect(outcome.fractionDone).toBe(1);
      const [output] = outcome.result.outputs;
      expect(output!.prediction).toBe(36 * geometry.channels);
      expect(output!.expectedValue).toBe(0);
      const { values, height, width } = output!.heatmap;
      expect([height, width]).toEqual([32, 32]);
      // A pixel whose every covering window misses the square (windows of 8: more than 7 away) has no value.
      let inside = 0;
      let total = 0;
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) {
          const value = values[y * 32 + x]!;
          expect(value).toBeGreaterThanOrEqual(0);
          total += value;
          if (inSquare(square, y, x)) inside += value;
          const far =
            y < square.top - 7 ||
            y >= square.top + square.side + 7 ||
            x < square.left - 7 ||
            x >= square.left + square.side + 7;
          if (far) expect(value).toBe(0);
        }
      }
      expect(inside / total).toBeGreaterThan(0.3);
      // The hottest pixels are inside the square: every window covering them overlaps it most.
      const hottest = values.indexOf(output!.heatmap.max);
      expect(inSquare(square, Math.floor(hottest / 32), hottest % 32)).toBe(true);
      // 7 × 7 windows + the instance + the all-filled image, 16 rows per call.
      expect(outcome.result.regions).toBe(49);
      expect(evaluator.rows).toBe(51);
      expect(evaluator.callSizes).toEqual([16, 16, 16, 3]);
      expect(context.progressReports.at(-1)).toBe(1);
    });
  }

  it('gives exactly the square its drop when windows tile the image and one window is the square', async () => {
    const geometry = imageGeometry([16, 16, 3], 'channels-last');
    const square = { top: 8, left: 0, side: 8 };
    const evaluator = countingRowEvaluator(geometry.elementCount, 1, squareSumModel(geometry, [square]));
    const instance = new Float64Array(geometry.elementCount).fill(2);
    const outcome = await occlusion.explainRow(
      instance,
      paramsFor(geometry, { window: 8, stride: 8 }),
      testContext(evaluator),
    );
    const { values } = outcome.result.outputs[0]!.heatmap;
    values.forEach((value, p) => {
      expect(value).toBe(inSquare(square, Math.floor(p / 16), p % 16) ? 8 * 8 * 3 * 2 : 0);
    });
    // Per element: each channel carries a third of its pixel's value.
    expect(outcome.result.outputs[0]!.attributions[elementIndex(geometry, 8, 0, 1)]).toBe(128);
    expect(evaluator.calls).toBe(1);
  });

  it('explains each output column on its own square', async () => {
    const geometry = imageGeometry([16, 16], 'grayscale');
    const squares = [
      { top: 0, left: 0, side: 4 },
      { top: 12, left: 12, side: 4 },
    ];
    const evaluator = countingRowEvaluator(geometry.elementCount, 2, squareSumModel(geometry, squares));
    const outcome = await occlusion.explainRow(
      new Float64Array(256).fill(1),
      paramsFor(geometry, { window: 4, stride: 4 }),
      testContext(evaluator),
    );
    outcome.result.outputs.forEach((output, o) => {
      output.heatmap.values.forEach((value, p) => {
        expect(value).toBe(inSquare(squares[o]!, Math.floor(p / 16), p % 16) ? 16 : 0);
      });
    });
  });

  it('leaves the row outside the image alone and gives it no attribution', async () => {
    // Row: 3 tabular features, then a 8 × 8 grayscale image.
    const geometry = imageGeometry([8, 8], 'grayscale', 3);
    const seen: number[][] = [];
    const model = (rows: Float64Array, count: number) => {
      const scores = new Float64Array(count);
      for (let r = 0; r < count; r++) {
        const row = rows.subarray(r * 67, (r + 1) * 67);
        seen.push(Array.from(row.subarray(0, 3)));
        scores[r] = row[0]! * row[3 + 9]!; // pixel (1, 1) scaled by the first tabular feature
      }
      return scores;
    };
    const instance = Float64Array.from({ length: 67 }, (_, i) => (i < 3 ? 5 + i : 1));
    const outcome = await occlusion.explainRow(
      instance,
      paramsFor(geometry, { window: 2, stride: 2 }),
      testContext(countingRowEvaluator(67, 1, model)),
    );
    for (const tabular of seen) expect(tabular).toEqual([5, 6, 7]);
    const { attributions, heatmap } = outcome.result.outputs[0]!;
    expect(Array.from(attributions.subarray(0, 3))).toEqual([0, 0, 0]);
    expect(heatmap.values[1 * 8 + 1]).toBe(5);
    expect(heatmap.max).toBe(5);
  });

  it('fills with the weighted background mean when no fill value is given, else 0', async () => {
    const geometry = imageGeometry([4, 4], 'grayscale');
    const model = (rows: Float64Array, count: number) =>
      Float64Array.from({ length: count }, (_, r) =>
        rows.subarray(r * 16, (r + 1) * 16).reduce((a, b) => a + b, 0),
      );
    const instance = new Float64Array(16).fill(1);
    const background = {
      featureCount: 16,
      rows: Float64Array.from({ length: 32 }, (_, i) => (i < 16 ? 0.5 : 2)),
      weights: Float64Array.from([3, 1]),
      count: 2,
    };
    const params = paramsFor(geometry, { window: 2, stride: 2, fillValue: undefined });
    const withMean = await occlusion.explainRow(
      instance,
      params,
      testContext(countingRowEvaluator(16, 1, model), background),
    );
    // (3 · 0.5 + 1 · 2) / 4 = 0.875 per element.
    expect(withMean.result.outputs[0]!.expectedValue).toBeCloseTo(16 * 0.875, 12);
    expect(withMean.result.outputs[0]!.heatmap.values[0]).toBeCloseTo(4 * (1 - 0.875), 12);
    const withZero = await occlusion.explainRow(
      instance,
      params,
      testContext(countingRowEvaluator(16, 1, model)),
    );
    expect(withZero.result.outputs[0]!.expectedValue).toBe(0);
    const withValue = await occlusion.explainRow(
      instance,
      { ...params, fillValue: -1 },
      testContext(countingRowEvaluator(16, 1, model), background),
    );
    expect(withValue.result.outputs[0]!.expectedValue).toBe(-16);
  });

  it('takes |value| per channel with ABS_SUM, so drops that raise the output still show', async () => {
    const geometry = imageGeometry([4, 4, 2], 'channels-last');
    // The output falls as the square's values rise: filling it with 0 raises the output (negative drop).
    const model = (rows: Float64Array, count: number) =>
      Float64Array.from(
        { length: count },
        (_, r) =>
          -squareSumModel(geometry, [{ top: 0, left: 0, side: 2 }])(
            rows.subarray(r * 32, (r + 1) * 32),
            1,
          )[0]!,
      );
    const instance = new Float64Array(32).fill(1);
    const summed = await occlusion.explainRow(
      instance,
      paramsFor(geometry, { window: 2, stride: 2 }),
      testContext(countingRowEvaluator(32, 1, model)),
    );
    const absolute = await occlusion.explainRow(
      instance,
      paramsFor(geometry, { window: 2, stride: 2 }, 'abs-sum'),
      testContext(countingRowEvaluator(32, 1, model)),
    );
    expect(summed.result.outputs[0]!.heatmap.values[0]).toBe(-8);
    expect(absolute.result.outputs[0]!.heatmap.values[0]).toBe(8);
    expect(absolute.result.outputs[0]!.heatmap.min).toBe(0);
  });

  it('returns the regions scored so far, marked incomplete, when the call budget runs out', async () => {
    const geometry = imageGeometry([32, 32, 3], 'channels-last');
    const square = { top: 0, left: 0, side: 4 };
    const evaluator = countingRowEvaluator(geometry.elementCount, 1, squareSumModel(geometry, [square]), {
      maxRowsPerCall: 10,
      maxCalls: 2,
    });
    const outcome = await occlusion.explainRow(
      new Float64Array(geometry.elementCount).fill(1),
      paramsFor(geometry),
      testContext(evaluator),
    );
    expect(outcome.complete).toBe(false);
    expect(evaluator.calls).toBe(2);
    expect(outcome.result.regionsEvaluated).toBe(18);
    expect(outcome.fractionDone).toBeCloseTo(20 / 51, 12);
    const output = outcome.result.outputs[0]!;
    expect(output.prediction).toBe(48);
    expect(output.heatmap.values[0]).toBe(48);
    // Regions not yet scored leave their pixels at 0 (the last row of windows).
    expect(output.heatmap.values[31 * 32 + 31]).toBe(0);
    for (const value of output.heatmap.values) expect(Number.isFinite(value)).toBe(true);
  });

  it('has no output to report when the budget allows no call at all', async () => {
    const geometry = imageGeometry([8, 8], 'grayscale');
    const evaluator = countingRowEvaluator(64, 1, () => new Float64Array(0), { maxCalls: 0 });
    const outcome = await occlusion.explainRow(
      new Float64Array(64),
      paramsFor(geometry),
      testContext(evaluator),
    );
    expect(outcome).toMatchObject({ complete: false, fractionDone: 0 });
    expect(outcome.result.outputs[0]!.prediction).toBeNaN();
    expect(outcome.result.regionsEvaluated).toBe(0);
  });

  it("lets the model's own failure through", async () => {
    const geometry = imageGeometry([8, 8], 'grayscale');
    const failing = countingRowEvaluator(64, 1, () => {
      throw new Error('model-server went away');
    });
    await expect(
      occlusion.explainRow(new Float64Array(64), paramsFor(geometry), testContext(failing)),
    ).rejects.toThrow('model-server went away');
  });

  it("masks superpixels: a square of another colour is its own segment and takes the model's whole drop", async () => {
    const geometry = imageGeometry([3, 32, 32], 'channels-first');
    const square = { top: 8, left: 16, side: 8 };
    // A gray image with a red square; the model sums the square's elements.
    const instance = new Float64Array(geometry.elementCount).fill(0.5);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        if (!inSquare(square, y, x)) continue;
        instance[elementIndex(geometry, y, x, 0)] = 1;
        instance[elementIndex(geometry, y, x, 1)] = 0;
        instance[elementIndex(geometry, y, x, 2)] = 0;
      }
    }
    const evaluator = countingRowEvaluator(geometry.elementCount, 1, squareSumModel(geometry, [square]));
    const outcome = await occlusion.explainRow(
      instance,
      paramsFor(geometry, { masking: 'superpixels', segments: 16 }),
      testContext(evaluator),
    );
    const { values } = outcome.result.outputs[0]!.heatmap;
    values.forEach((value, p) => {
      expect(value).toBe(inSquare(square, Math.floor(p / 32), p % 32) ? 64 : 0);
    });
    expect(outcome.result.regions).toBeGreaterThanOrEqual(8);
    expect(outcome.result.regions).toBeLessThanOrEqual(24);
    expect(evaluator.rows).toBe(outcome.result.regions + 2);
  });
});
