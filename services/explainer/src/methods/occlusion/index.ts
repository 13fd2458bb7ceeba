/** Occlusion and superpixel masking of images: the black-box image method. */
import type { LocalMethod } from '../method.js';
import { explainOcclusionRow } from './occlusion.js';
import type { OcclusionParams, OcclusionResult } from './occlusion-types.js';

export { type Region, superpixelRegions, windowRegions, windowStarts } from './occlusion-regions.js';
export * from './occlusion-types.js';
export {
  enforceConnectivity,
  type Segmentation,
  type SlicOptions,
  slic,
  slicColourFeatures,
} from './slic.js';

/** Occlusion as the service calls it, once per instance row ("Occlusion" in meta). */
export const occlusion: LocalMethod<OcclusionParams, OcclusionResult> = {
  metaName: 'Occlusion',
  modelAccess: 'black-box',
  explainRow: explainOcclusionRow,
};
