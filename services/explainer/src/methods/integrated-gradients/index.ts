/**
 * Integrated Gradients (white box): Alibi's IntegratedGradients over a {@link GradientModel}
 * (a TF.js layers model of the repository, or central differences through the black box when
 * asked for explicitly).
 */

export { FINITE_DIFFERENCE_STEP, finiteDifferenceModel } from './finite-differences.js';
export {
  type IntegratedGradientsOutput,
  type IntegratedGradientsResult,
  integratedGradients,
} from './integrated-gradients.js';
export {
  type GradientSourceKind,
  INTEGRATED_GRADIENTS_DEFAULTS,
  INTEGRATED_GRADIENTS_LIMITS,
  type IntegratedGradientsBaseline,
  type IntegratedGradientsParams,
  MAX_BATCH_ELEMENTS,
} from './params.js';
export { type IntegrationRule, minimumSteps, type Quadrature, quadrature } from './quadrature.js';
export { TfjsGradientModel, type TfjsGradientModelOptions } from './tfjs-gradient-model.js';
