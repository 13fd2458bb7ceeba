/** Image geometry (which row element is which pixel and channel) and heatmaps, shared by image methods. */
export {
  type ChannelReductionName,
  type Heatmap,
  heatmapFromPixels,
  heatmapOf,
} from './heatmap.js';
export {
  elementIndex,
  type ImageGeometry,
  type ImageLayoutName,
  imageGeometry,
  type PixelChannel,
  pixelChannelOf,
  pixelElementIndices,
  pixelMajorValues,
} from './image-geometry.js';
export type { ImageInputSpec } from './image-input.js';
