import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { heatmapFromPixels } from '../methods/image/heatmap.js';
import { heatmapMessage, imageInputMessage, readImageInput } from './image-messages.js';

const { ImageLayout, ChannelReduction } = explainerV1;

function imageInput(overrides: Partial<explainerV1.ImageInput> = {}): explainerV1.ImageInput {
  return {
    tensor: '',
    layout: ImageLayout.IMAGE_LAYOUT_UNSPECIFIED,
    channelReduction: ChannelReduction.CHANNEL_REDUCTION_UNSPECIFIED,
    includeFeatureAttributions: false,
    ...overrides,
  };
}

describe('readImageInput', () => {
  it('is undefined when the request names no image', () => {
    expect(readImageInput(undefined, [{ name: 'x', shape: [4] }])).toBeUndefined();
  });

  it('defaults to channels last and SUM on the only tensor', () => {
    const image = readImageInput(imageInput(), [{ name: 'pixels', shape: [28, 28, 1] }])!;
    expect(image).toMatchObject({ tensor: 'pixels', reduction: 'sum', includeFeatureAttributions: false });
    expect(image.geometry).toMatchObject({
      layout: 'channels-last',
      height: 28,
      width: 28,
      channels: 1,
      offset: 0,
    });
    expect(imageInputMessage(image)).toEqual({
      tensor: 'pixels',
      layout: ImageLayout.IMAGE_LAYOUT_CHANNELS_LAST,
      channelReduction: ChannelReduction.CHANNEL_REDUCTION_SUM,
      includeFeatureAttributions: false,
    });
  });

  it('finds a named tensor among several, its offset after the tensors before it', () => {
    const image = readImageInput(
      imageInput({
        tensor: 'image',
        layout: ImageLayout.IMAGE_LAYOUT_CHANNELS_FIRST,
        channelReduction: ChannelReduction.CHANNEL_REDUCTION_ABS_SUM,
        includeFeatureAttributions: true,
      }),
      [
        { name: 'meta', shape: [2, 3] },
        { name: 'image', shape: [3, 64, 64] },
        { name: 'tail', shape: [1] },
      ],
    )!;
    expect(image.geometry).toMatchObject({
      layout: 'channels-first',
      height: 64,
      width: 64,
      channels: 3,
      offset: 6,
    });
    expect(image.reduction).toBe('abs-sum');
    expect(imageInputMessage(image).layout).toBe(ImageLayout.IMAGE_LAYOUT_CHANNELS_FIRST);
  });

  it('names the field and the rule for each bad input', () => {
    const cases: [Partial<explainerV1.ImageInput>, { name: string; shape: number[] }[], RegExp][] = [
      [
        {},
        [
          { name: 'a', shape: [4] },
          { name: 'b', shape: [8, 8, 3] },
        ],
        /^image\.tensor: .*rule "image\.tensor"/,
      ],
      [
        { tensor: 'photo' },
        [{ name: 'image', shape: [8, 8, 3] }],
        /^image\.tensor: .*rule "image\.tensor"\), got "photo"/,
      ],
      [
        { layout: ImageLayout.UNRECOGNIZED },
        [{ name: 'image', shape: [8, 8, 3] }],
        /^image\.layout: .*rule "image\.layout"/,
      ],
      [{ layout: 7 as explainerV1.ImageLayout }, [{ name: 'image', shape: [8, 8, 3] }], /got 7$/],
      [
        { channelReduction: 9 as explainerV1.ChannelReduction },
        [{ name: 'image', shape: [8, 8, 3] }],
        /^image\.channel_reduction: .*rule "image\.channel_reduction"/,
      ],
      [
        { layout: ImageLayout.IMAGE_LAYOUT_GRAYSCALE },
        [{ name: 'image', shape: [8, 8, 3] }],
        /rule "image\.shape"/,
      ],
      [{}, [{ name: 'image', shape: [64] }], /^image\.tensor: .*rule "image\.shape"/],
    ];
    for (const [overrides, tensors, message] of cases) {
      expect(() => readImageInput(imageInput(overrides), tensors)).toThrow(InvalidArgumentError);
      expect(() => readImageInput(imageInput(overrides), tensors)).toThrow(message);
    }
  });
});

describe('heatmapMessage', () => {
  it('carries the size, values and range', () => {
    const heatmap = heatmapFromPixels(1, 3, Float64Array.from([-1, 0.5, 2]));
    expect(heatmapMessage(heatmap)).toEqual({ height: 1, width: 3, values: [-1, 0.5, 2], min: -1, max: 2 });
  });
});
