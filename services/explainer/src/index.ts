/**
 * @sightline/explainer: explanations of served models and graphs, served as
 * `sightline.explainer.v1.ExplainerService` (proto/sightline/explainer/v1/explainer.proto;
 * docs/design/explainer-contract.md).
 */
export * from './config.js';
export { defineMethod } from './contract/method-entries.js';
export * from './contract/methods/kernel-shap.js';
export * from './contract/methods/kernel-shap.js';
export type { ExplainInput, ExplainOutcome } from './data-plane/explain-types.js';
export { ExplainerDataPlane } from './data-plane/explainer-data-plane.js';
export type { MethodEntry, MethodRegistry, MethodSetup } from './data-plane/method-registry.js';
export { type ExplainerHandle, type ExplainerParts, startExplainer } from './explainer.js';
export { runExplainer } from './main.js';
export * from './methods/gradient-model.js';
export * from './methods/integrated-gradients/index.js';
export * from './methods/kernel-shap/index.js';
export * from './methods/method.js';
// The fidelity models and the function evaluator: the methods' tests and tools/bench use them.
export * from './methods/testing/fidelity-models.js';
export * from './methods/testing/function-evaluator.js';
