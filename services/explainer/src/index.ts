/**
 * @sightline/explainer: explanations of served models and graphs, served as
 * `sightline.explainer.v1.ExplainerService` (proto/sightline/explainer/v1/explainer.proto;
 * docs/design/explainer-contract.md).
 */

export * from './methods/gradient-model.js';
export * from './methods/integrated-gradients/index.js';
export * from './methods/method.js';
