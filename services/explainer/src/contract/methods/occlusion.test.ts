import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { heatmapFromPixels } from '../../methods/image/heatmap.js';
import { imageGeometry } from '../../methods/image/image-geometry.js';
import type { ImageInputSpec } from '../../methods/image/image-input.js';
import type { FeatureSpace } from '../../methods/method.js';
import type { OcclusionResult } from '../../methods/occlusion/occlusion-types.js';
import { occlusionParamsMessage, occlusionResultMessage, readOcclusionParams } from './occlusion.js';

const { Masking } = explainerV1;

function spaceOf(featureCount: number): FeatureSpace {
  return {
    featureCount,
    featureNames: Array.from({ length: featureCount }, (_, i) => `image[${i}]`),
    categorical: new Map(),
  };
}

function imageOf(shape: number[], includeFeatureAttributions = false): ImageInputSpec {
  return {
    tensor: 'image',
    geometry: imageGeometry(shape, 'channels-first'),
    reduction: 'sum',
    includeFeatureAttributions,
  };
}

const convnet = imageOf([3, 64, 64]);
const convnetSpace = spaceOf(3 * 64 * 64);

describe('readOcclusionParams', () => {
  it('fills the contract defaults: windows of 8, stride 4, 50 segments, compactness 10, fill unset', () => {
    const params = readOcclusionParams(undefined, convnetSpace, convnet);
    expect(params).toMatchObject({
      masking: 'windows',
      window: 8,
      stride: 4,
      segments: 50,
      compactness: 10,
      fillValue: undefined,
    });
    expect(occlusionParamsMessage(params)).toEqual({
      masking: Masking.MASKING_WINDOWS,
      window: 8,
      stride: 4,
      segments: 50,
      compactness: 10,
    });
  });

  it('reads every setting, stride defaulting to half the window and at least 1', () => {
    const params = readOcclusionParams(
      { masking: Masking.MASKING_SUPERPIXELS, window: 1, segments: 200, compactness: 0.5, fillValue: -0.5 },
      convnetSpace,
      convnet,
    );
    expect(params).toMatchObject({
      masking: 'superpixels',
      window: 1,
      stride: 1,
      segments: 200,
      compactness: 0.5,
    });
    expect(params.fillValue).toBe(-0.5);
    expect(occlusionParamsMessage(params)).toMatchObject({
      masking: Masking.MASKING_SUPERPIXELS,
      fillValue: -0.5,
    });
    expect(
      readOcclusionParams({ masking: Masking.MASKING_WINDOWS, window: 5 }, convnetSpace, convnet).stride,
    ).toBe(2);
  });

  it("caps the default window at a small image's shorter side", () => {
    const small = imageOf([1, 4, 6]);
    expect(readOcclusionParams(undefined, spaceOf(24), small)).toMatchObject({ window: 4, stride: 2 });
  });

  it('requires the image (rule "image.set")', () => {
    expect(() => readOcclusionParams(undefined, convnetSpace, undefined)).toThrow(
      /^image: .*rule "image\.set"/,
    );
  });

  it('names the field and the rule for each value out of range', () => {
    const cases: [Partial<explainerV1.OcclusionParams>, RegExp][] = [
      [{ masking: Masking.UNRECOGNIZED }, /^occlusion\.masking: .*rule "occlusion\.masking"/],
      [{ window: 0 }, /^occlusion\.window: must be 1 to 64 \(rule "occlusion\.window"\), got 0$/],
      [{ window: 65 }, /^occlusion\.window: .*got 65$/],
      [{ stride: 0 }, /^occlusion\.stride: .*rule "occlusion\.stride"/],
      [{ stride: 9 }, /^occlusion\.stride: must be 1 to 8 .*got 9$/],
      [{ window: 4, stride: 5 }, /^occlusion\.stride: must be 1 to 4/],
      [{ segments: 1 }, /^occlusion\.segments: must be 2 to 1000 .*got 1$/],
      [{ segments: 1001 }, /^occlusion\.segments: .*got 1001$/],
      [{ compactness: 0 }, /^occlusion\.compactness: must be finite and above 0 .*got 0$/],
      [{ compactness: Number.NaN }, /^occlusion\.compactness: .*got NaN$/],
      [{ fillValue: Number.POSITIVE_INFINITY }, /^occlusion\.fill_value: must be finite .*got Infinity$/],
    ];
    for (const [overrides, message] of cases) {
      const read = () =>
        readOcclusionParams({ masking: Masking.MASKING_UNSPECIFIED, ...overrides }, convnetSpace, convnet);
      expect(read).toThrow(InvalidArgumentError);
      expect(read).toThrow(message);
    }
  });
});

describe('occlusionResultMessage', () => {
  const result: OcclusionResult = {
    outputs: [
      {
        prediction: 3,
        expectedValue: 1,
        heatmap: heatmapFromPixels(1, 2, Float64Array.from([2, 0])),
        attributions: Float64Array.from([2, 0]),
      },
    ],
    regions: 2,
    regionsEvaluated: 2,
  };

  it('answers heatmaps only unless feature attributions are asked for, additivity unset', () => {
    const image = imageOf([1, 1, 2]);
    const params = readOcclusionParams(undefined, spaceOf(2), image);
    const message = occlusionResultMessage(result, spaceOf(2), params, Float64Array.from([0.4, 0.6]), [7]);
    const [output] = message.attributions.outputs;
    expect(output).toMatchObject({ targetIndex: 7, prediction: 3, expectedValue: 1, features: [] });
    expect(output!.additivityError).toBeUndefined();
    expect(output!.heatmap).toEqual({ height: 1, width: 2, values: [2, 0], min: 0, max: 2 });
  });

  it('lists every image element with its name, attribution and value when asked', () => {
    const image = imageOf([1, 1, 2], true);
    const params = readOcclusionParams(undefined, spaceOf(2), image);
    const message = occlusionResultMessage(result, spaceOf(2), params, Float64Array.from([0.4, 0.6]));
    expect(message.attributions.outputs[0]!.targetIndex).toBe(0);
    expect(message.attributions.outputs[0]!.features).toEqual([
      { index: 0, name: 'image[0]', value: 2, featureValue: 0.4 },
      { index: 1, name: 'image[1]', value: 0, featureValue: 0.6 },
    ]);
  });
});
