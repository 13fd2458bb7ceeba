/**
 * @sightline/explainer: explanations of served models and graphs, served as
 * `sightline.explainer.v1.ExplainerService` (proto/sightline/explainer/v1/explainer.proto;
 * docs/design/explainer-contract.md).
 */

export * from './contract/methods/kernel-shap.js';
export * from './methods/kernel-shap/index.js';
export * from './methods/method.js';
// The fidelity models and the function evaluator: the methods' tests and tools/bench use them.
export * from './methods/testing/fidelity-models.js';
export * from './methods/testing/function-evaluator.js';
