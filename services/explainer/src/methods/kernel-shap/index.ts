export { AUTO_SELECTION_FRACTION } from './attribution-solver.js';
export { type CoalitionPlan, coalitionSpace, planCoalitions } from './coalition-plan.js';
export { COALITION_BATCH_ROWS, COALITION_BATCH_VALUES, coalitionsPerBatch } from './coalition-values.js';
export {
  EXACT_SHAPLEY_MAX_FEATURES,
  type ExactShapley,
  exactInterventionalShapley,
} from './exact-shapley.js';
export { kernelShap, varyingFeatures } from './kernel-shap.js';
export type { KernelShapParams, KernelShapResult, L1Selection, OutputShap, ShapLink } from './types.js';
