/**
 * Occlusion on a real CNN: the example convnet (ONNX, FP32 [-1, 3, 64, 64], channels first,
 * 10 logits) run in-process with onnxruntime-node, the model-server's runtime.
 */
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@sightline/stats';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { elementIndex, imageGeometry } from '../src/methods/image/image-geometry.js';
import { occlusion } from '../src/methods/occlusion/index.js';
import type { OcclusionParams } from '../src/methods/occlusion/occlusion-types.js';
import { countingRowEvaluator, testContext } from './support/counting-row-evaluator.js';

const MODEL_PATH = fileURLToPath(new URL('../../../examples/models/convnet/1/model.onnx', import.meta.url));
const geometry = imageGeometry([3, 64, 64], 'channels-first');
const ELEMENTS = geometry.elementCount;
const CLASSES = 10;

let session: ort.InferenceSession;

async function logits(rows: Float64Array, count: number): Promise<Float64Array> {
  const input = new ort.Tensor('float32', Float32Array.from(rows), [count, 3, 64, 64]);
  const output = await session.run({ image: input });
  return Float64Array.from(output.logits!.data as Float32Array);
}

/** A seeded image: a bright disc on a dim, noisy background, values in [0, 1]. */
function discImage(seed: number): Float64Array {
  const random = seededRandom(seed);
  const image = new Float64Array(ELEMENTS);
  for (let y = 0; y < 64; y++) {
    for (let x = 0; x < 64; x++) {
      const inDisc = (y - 24) ** 2 + (x - 40) ** 2 < 12 ** 2;
      for (let c = 0; c < 3; c++) {
        image[elementIndex(geometry, y, x, c)] = inDisc ? 0.8 + 0.1 * c : 0.1 * random.nextFloat();
      }
    }
  }
  return image;
}

function params(overrides: Partial<OcclusionParams> = {}): OcclusionParams {
  return {
    image: { tensor: 'image', geometry, reduction: 'sum', includeFeatureAttributions: false },
    masking: 'windows',
    window: 8,
    stride: 4,
    segments: 50,
    compactness: 10,
    fillValue: 0,
    ...overrides,
  };
}

beforeAll(async () => {
  session = await ort.InferenceSession.create(MODEL_PATH, { intraOpNumThreads: 1, interOpNumThreads: 1 });
});

afterAll(async () => {
  await session?.release();
});

describe('occlusion on the convnet (ONNX, channels first)', () => {
  it('answers a finite 64 × 64 heatmap per class, one model call per batch', async () => {
    const evaluator = countingRowEvaluator(ELEMENTS, CLASSES, logits, { maxRowsPerCall: 64 });
    const instance = discImage(1);
    const outcome = await occlusion.explainRow(instance, params(), testContext(evaluator));
    expect(outcome.complete).toBe(true);
    // 15 × 15 windows + the instance + the all-filled image = 227 rows in batches of 64.
    expect(outcome.result.regions).toBe(225);
    expect(evaluator.callSizes).toEqual([64, 64, 64, 35]);
    expect(outcome.result.outputs).toHaveLength(CLASSES);
    const direct = await logits(instance, 1);
    const blank = await logits(new Float64Array(ELEMENTS), 1);
    for (const [k, output] of outcome.result.outputs.entries()) {
      expect(output.heatmap).toMatchObject({ height: 64, width: 64 });
      expect(output.heatmap.values).toHaveLength(64 * 64);
      for (const value of output.heatmap.values) expect(Number.isFinite(value)).toBe(true);
      expect(output.prediction).toBeCloseTo(direct[k]!, 4);
      expect(output.expectedValue).toBeCloseTo(blank[k]!, 4);
    }
    // The corner pixel lies under the first window only: its value is that window's drop.
    const cornerFilled = Float64Array.from(instance);
    for (let y = 0; y < 8; y++) {
      for (let x = 0; x < 8; x++)
        for (let c = 0; c < 3; c++) cornerFilled[elementIndex(geometry, y, x, c)] = 0;
    }
    const afterCorner = await logits(cornerFilled, 1);
    const predicted = direct.indexOf(Math.max(...direct));
    expect(outcome.result.outputs[predicted]!.heatmap.values[0]).toBeCloseTo(
      direct[predicted]! - afterCorner[predicted]!,
      4,
    );
    expect(outcome.result.outputs[predicted]!.heatmap.max).toBeGreaterThan(
      outcome.result.outputs[predicted]!.heatmap.min,
    );
  });

  it('masks SLIC superpixels of the image, one call per batch', async () => {
    const evaluator = countingRowEvaluator(ELEMENTS, CLASSES, logits, { maxRowsPerCall: 32 });
    const outcome = await occlusion.explainRow(
      discImage(2),
      params({ masking: 'superpixels', segments: 50 }),
      testContext(evaluator),
    );
    const regions = outcome.result.regions;
    expect(regions).toBeGreaterThanOrEqual(25);
    expect(regions).toBeLessThanOrEqual(75);
    expect(evaluator.calls).toBe(Math.ceil((regions + 2) / 32));
    for (const size of evaluator.callSizes) expect(size).toBeLessThanOrEqual(32);
    for (const output of outcome.result.outputs) {
      for (const value of output.heatmap.values) expect(Number.isFinite(value)).toBe(true);
    }
  });
});
