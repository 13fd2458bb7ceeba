/** Where the image is in a request's instances, read from the contract's ImageInput (src/contract/image-messages.ts). */
import type { ChannelReductionName } from './heatmap.js';
import type { ImageGeometry } from './image-geometry.js';

/** The image tensor of a request, its geometry in the flattened row and how its heatmap is made. */
export interface ImageInputSpec {
  /** The image tensor's name. */
  readonly tensor: string;
  readonly geometry: ImageGeometry;
  readonly reduction: ChannelReductionName;
  /** Whether results carry every element's attribution besides the heatmap. */
  readonly includeFeatureAttributions: boolean;
}
