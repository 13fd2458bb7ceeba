import { InvalidArgumentError } from '@sightline/errors';
import type { ShapLink } from './types.js';

/**
 * Applies Kernel SHAP's link to a model output (shap's `IdentityLink` / `LogitLink`): the
 * attributions explain g(f), and LOGIT only makes sense for probabilities strictly inside
 * (0, 1), so an output at 0 or 1 (or outside) is refused rather than turned into ±∞.
 */
export function applyLink(link: ShapLink, value: number, what: string): number {
  if (link === 'identity') return value;
  if (!(value > 0 && value < 1)) {
    throw new InvalidArgumentError(
      `kernel_shap.link: LOGIT needs model outputs strictly between 0 and 1, got ${value} for ${what}`,
      { field: 'kernel_shap.link' },
    );
  }
  return Math.log(value / (1 - value));
}
