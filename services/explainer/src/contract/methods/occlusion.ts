/**
 * OcclusionParams <-> occlusion's plain settings, and its result as InstanceExplanation's
 * `attributions`. Rules (contract): "image.set" (occlusion needs ImageInput), "occlusion.masking",
 * "occlusion.window" (1 to the image's shorter side), "occlusion.stride" (1 to the window),
 * "occlusion.segments" (2-1,000), "occlusion.compactness" (finite, > 0), "occlusion.fill_value"
 * (finite).
 */
import { explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type { ImageInputSpec } from '../../methods/image/image-input.js';
import type { FeatureSpace } from '../../methods/method.js';
import {
  DEFAULT_OCCLUSION_WINDOW,
  DEFAULT_SUPERPIXEL_COMPACTNESS,
  DEFAULT_SUPERPIXEL_SEGMENTS,
  MAX_SUPERPIXEL_SEGMENTS,
  MIN_SUPERPIXEL_SEGMENTS,
  type OcclusionParams,
  type OcclusionResult,
} from '../../methods/occlusion/occlusion-types.js';
import { heatmapMessage } from '../image-messages.js';

function invalid(field: string, rule: string, value: unknown): InvalidArgumentError {
  return new InvalidArgumentError(
    `occlusion.${field}: must be ${rule} (rule "occlusion.${field}"), got ${String(value)}`,
    {
      field: `occlusion.${field}`,
    },
  );
}

function integerIn(field: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) throw invalid(field, `${min} to ${max}`, value);
  return value;
}

/**
 * Reads the method's message with defaults filled.
 * @param image the request's image (readImageInput); occlusion requires one.
 * @throws InvalidArgumentError naming `occlusion.<field>` (or `image`) and the contract's rule.
 */
export function readOcclusionParams(
  message: explainerV1.OcclusionParams | undefined,
  space: FeatureSpace,
  image: ImageInputSpec | undefined,
): OcclusionParams {
  if (!image) {
    throw new InvalidArgumentError(
      'image: occlusion needs the image named, its tensor and layout (rule "image.set")',
      {
        field: 'image',
      },
    );
  }
  const { geometry } = image;
  if (geometry.offset + geometry.elementCount > space.featureCount) {
    throw new RangeError(`image: its elements end past the row's ${space.featureCount} features`);
  }
  const params = message ?? { masking: explainerV1.Masking.MASKING_UNSPECIFIED };
  let masking: OcclusionParams['masking'];
  if (
    params.masking === explainerV1.Masking.MASKING_UNSPECIFIED ||
    params.masking === explainerV1.Masking.MASKING_WINDOWS
  ) {
    masking = 'windows';
  } else if (params.masking === explainerV1.Masking.MASKING_SUPERPIXELS) {
    masking = 'superpixels';
  } else {
    throw invalid('masking', 'WINDOWS or SUPERPIXELS', params.masking);
  }
  const shorterSide = Math.min(geometry.height, geometry.width);
  const window = integerIn(
    'window',
    params.window ?? Math.min(DEFAULT_OCCLUSION_WINDOW, shorterSide),
    1,
    shorterSide,
  );
  // A stride beyond the window would leave pixels no window covers, shown as 0 as if they did not matter.
  const stride = integerIn('stride', params.stride ?? Math.max(1, Math.floor(window / 2)), 1, window);
  const segments = integerIn(
    'segments',
    params.segments ?? DEFAULT_SUPERPIXEL_SEGMENTS,
    MIN_SUPERPIXEL_SEGMENTS,
    MAX_SUPERPIXEL_SEGMENTS,
  );
  const compactness = params.compactness ?? DEFAULT_SUPERPIXEL_COMPACTNESS;
  if (!Number.isFinite(compactness) || compactness <= 0)
    throw invalid('compactness', 'finite and above 0', compactness);
  const fillValue = params.fillValue;
  if (fillValue !== undefined && !Number.isFinite(fillValue))
    throw invalid('fill_value', 'finite', fillValue);
  return { image, masking, window, stride, segments, compactness, fillValue };
}

/** The settings with every default filled, for ExplanationMeta.params (fill_value only when given). */
export function occlusionParamsMessage(params: OcclusionParams): explainerV1.OcclusionParams {
  return {
    masking:
      params.masking === 'windows'
        ? explainerV1.Masking.MASKING_WINDOWS
        : explainerV1.Masking.MASKING_SUPERPIXELS,
    window: params.window,
    stride: params.stride,
    segments: params.segments,
    compactness: params.compactness,
    ...(params.fillValue === undefined ? {} : { fillValue: params.fillValue }),
  };
}

/**
 * A row's result as InstanceExplanation's `attributions` (the generated oneof member): one
 * OutputAttributions per output column, each with its heatmap; per-feature attributions
 * (the image's elements only) when ImageInput.include_feature_attributions, else none.
 * `additivity_error` stays unset: occlusion has no such identity.
 * @param instance the explained row (FeatureAttribution.feature_value).
 * @param targetIndices the model's column of each output, in order; default 0, 1, ...
 */
export function occlusionResultMessage(
  result: OcclusionResult,
  space: FeatureSpace,
  params: OcclusionParams,
  instance: Float64Array,
  targetIndices?: readonly number[],
): { attributions: explainerV1.Attributions } {
  const { geometry, includeFeatureAttributions } = params.image;
  const outputs = result.outputs.map(
    (output, o): explainerV1.OutputAttributions => ({
      targetIndex: targetIndices?.[o] ?? o,
      prediction: output.prediction,
      expectedValue: output.expectedValue,
      features: includeFeatureAttributions
        ? Array.from({ length: geometry.elementCount }, (_, i) => {
            const index = geometry.offset + i;
            return {
              index,
              name: space.featureNames[index] ?? `feature[${index}]`,
              value: output.attributions[index]!,
              featureValue: instance[index]!,
            };
          })
        : [],
      coalitions: 0,
      exact: false,
      heatmap: heatmapMessage(output.heatmap),
    }),
  );
  return { attributions: { outputs } };
}
