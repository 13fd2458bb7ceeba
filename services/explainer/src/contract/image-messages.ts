/**
 * explainer.proto's image messages <-> the image methods' plain types: ImageInput (which
 * instance tensor is the image, its layout, the channel reduction) and Heatmap. The rules are
 * the contract's: "image.tensor", "image.layout", "image.channel_reduction", "image.shape".
 */
import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { ChannelReductionName, Heatmap } from '../methods/image/heatmap.js';
import { type ImageLayoutName, imageGeometry } from '../methods/image/image-geometry.js';
import type { ImageInputSpec } from '../methods/image/image-input.js';

/** An instance tensor as the row is flattened from it: its name and per-row shape (without the row dimension). */
export interface InstanceTensorShape {
  readonly name: string;
  readonly shape: readonly number[];
}

/** How many tensor names an error message lists. */
const MAX_NAMED_TENSORS = 8;

const LAYOUTS = new Map<explainerV1.ImageLayout, ImageLayoutName>([
  [explainerV1.ImageLayout.IMAGE_LAYOUT_UNSPECIFIED, 'channels-last'],
  [explainerV1.ImageLayout.IMAGE_LAYOUT_CHANNELS_LAST, 'channels-last'],
  [explainerV1.ImageLayout.IMAGE_LAYOUT_CHANNELS_FIRST, 'channels-first'],
  [explainerV1.ImageLayout.IMAGE_LAYOUT_GRAYSCALE, 'grayscale'],
]);

const REDUCTIONS = new Map<explainerV1.ChannelReduction, ChannelReductionName>([
  [explainerV1.ChannelReduction.CHANNEL_REDUCTION_UNSPECIFIED, 'sum'],
  [explainerV1.ChannelReduction.CHANNEL_REDUCTION_SUM, 'sum'],
  [explainerV1.ChannelReduction.CHANNEL_REDUCTION_ABS_SUM, 'abs-sum'],
]);

function elementsOf(shape: readonly number[]): number {
  return shape.reduce((product, size) => product * size, 1);
}

/**
 * The image of a request, or undefined when the request names none.
 * @param tensors the instance tensors in the order rows are flattened.
 * @throws InvalidArgumentError naming `image.<field>` and the rule.
 */
export function readImageInput(
  message: explainerV1.ImageInput | undefined,
  tensors: readonly InstanceTensorShape[],
): ImageInputSpec | undefined {
  if (!message) return undefined;
  const layout = LAYOUTS.get(message.layout);
  if (!layout) {
    throw new InvalidArgumentError(
      `image.layout: must be CHANNELS_LAST, CHANNELS_FIRST or GRAYSCALE (rule "image.layout"), got ${message.layout}`,
      { field: 'image.layout' },
    );
  }
  const reduction = REDUCTIONS.get(message.channelReduction);
  if (!reduction) {
    throw new InvalidArgumentError(
      `image.channel_reduction: must be SUM or ABS_SUM (rule "image.channel_reduction"), got ${message.channelReduction}`,
      { field: 'image.channel_reduction' },
    );
  }
  let position: number;
  if (message.tensor === '') {
    if (tensors.length !== 1) {
      throw new InvalidArgumentError(
        `image.tensor: must name the image tensor when the instances have ${tensors.length} tensors (rule "image.tensor")`,
        { field: 'image.tensor' },
      );
    }
    position = 0;
  } else {
    position = tensors.findIndex((tensor) => tensor.name === message.tensor);
    if (position < 0) {
      throw new InvalidArgumentError(
        `image.tensor: must name an instance tensor (rule "image.tensor"), got ${quoteName(message.tensor)} (tensors: ${tensors
          .slice(0, MAX_NAMED_TENSORS)
          .map((t) => quoteName(t.name))
          .join(', ')}${tensors.length > MAX_NAMED_TENSORS ? ', ...' : ''})`,
        { field: 'image.tensor' },
      );
    }
  }
  const tensor = tensors[position]!;
  const offset = tensors.slice(0, position).reduce((sum, t) => sum + elementsOf(t.shape), 0);
  return {
    tensor: tensor.name,
    geometry: imageGeometry(tensor.shape, layout, offset, 'image.tensor'),
    reduction,
    includeFeatureAttributions: message.includeFeatureAttributions,
  };
}

/** The image settings with every default filled, for ExplanationMeta and caching. */
export function imageInputMessage(image: ImageInputSpec): explainerV1.ImageInput {
  const layout = {
    'channels-last': explainerV1.ImageLayout.IMAGE_LAYOUT_CHANNELS_LAST,
    'channels-first': explainerV1.ImageLayout.IMAGE_LAYOUT_CHANNELS_FIRST,
    grayscale: explainerV1.ImageLayout.IMAGE_LAYOUT_GRAYSCALE,
  }[image.geometry.layout];
  const channelReduction =
    image.reduction === 'sum'
      ? explainerV1.ChannelReduction.CHANNEL_REDUCTION_SUM
      : explainerV1.ChannelReduction.CHANNEL_REDUCTION_ABS_SUM;
  return {
    tensor: image.tensor,
    layout,
    channelReduction,
    includeFeatureAttributions: image.includeFeatureAttributions,
  };
}

/** A heatmap as the contract's message (float values). */
export function heatmapMessage(heatmap: Heatmap): explainerV1.Heatmap {
  return {
    height: heatmap.height,
    width: heatmap.width,
    values: Array.from(heatmap.values),
    min: heatmap.min,
    max: heatmap.max,
  };
}
