/**
 * The white-box seam: a model the explainer holds in process and can differentiate, over the
 * same flattened float64 feature rows as {@link RowEvaluator} (the input tensors in order,
 * each row-major, concatenated). Implemented over a TF.js layers model loaded from the
 * repository (integrated-gradients/tfjs-gradient-model.ts); tests may implement it over a
 * plain function with a known gradient.
 */
export interface GradientModel {
  /** Values per feature row. */
  readonly featureCount: number;
  /** Values per output row: the explained output tensor's elements per row (classes of a classifier). */
  readonly outputCount: number;
  /** Where the gradients are computed ("tfjs-node-gpu", "tfjs-node", "tfjs-wasm", "tfjs-cpu"), for Usage.backend. */
  readonly backend: string;
  /** The model's outputs for `rows.length / featureCount` rows: rows × outputCount values, row-major. */
  predict(rows: Float64Array): Promise<Float64Array>;
  /**
   * The gradient of output column `outputIndex` with respect to every feature, for each row:
   * rows × featureCount values, row-major. Rows are independent (inference mode), so one call
   * takes a whole batch.
   */
  gradients(rows: Float64Array, outputIndex: number): Promise<Float64Array>;
}
