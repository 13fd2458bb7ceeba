/**
 * The methods the service can run, keyed by the `method` oneof field of ExplainRequest
 * (camelCase, as generated: `kernelShap`, `anchors`, ...). Each entry pairs a LocalMethod
 * with its contract mapping (src/contract/methods/<method>.ts) and says what it needs; the
 * data plane validates, builds the context and runs it per row, and the response encoder
 * turns its params and results into messages. Messages are `unknown` here so the data
 * plane stays free of generated types; src/contract/method-entries.ts types them.
 */
import type { Tensor } from '@sightline/tensor';
import type { FeatureSpace, LocalMethod } from '../methods/method.js';
import type { RowLayout } from './instances.js';
import type { TargetMetadata } from './target-ports.js';

/** What a method's contract mapping may read beside its own message. */
export interface MethodSetup {
  readonly space: FeatureSpace;
  /** Scores per row the evaluator answers. */
  readonly outputCount: number;
  /** The model's output column of each evaluator score, in order (OutputAttributions.target_index). */
  readonly outputColumns: readonly number[];
  readonly layout: RowLayout;
  readonly metadata: TargetMetadata;
  /** Rows back into tensors like the instances (anchors' examples, counterfactuals). */
  readonly toTensors: (rows: Float64Array, count: number) => Tensor[];
  /** The request's ImageInput message, if any (image methods read it). */
  readonly image: unknown;
  /** Instance rows in the request (per-instance inputs such as IG's given baselines). */
  readonly instanceRows: number;
  /** Target.target_indices as checked (empty: the method's default columns). */
  readonly targetIndices: readonly number[];
  /** Tensors shaped like the instances (other than them: IG's baselines) as feature rows; InvalidArgumentError naming `field`. */
  readonly rowsOf: (
    tensors: readonly Tensor[],
    field: string,
  ) => { readonly rows: Float64Array; readonly count: number };
  /** --repository, where white-box methods load the target's model files (undefined: not set). */
  readonly repository: string | undefined;
}

/** One registered method. */
export interface MethodEntry<P = unknown, R = unknown> {
  /** The oneof field as the contract's messages name it (`kernel_shap`), for error sentences. */
  readonly field: string;
  readonly method: LocalMethod<P, R>;
  /** Whether the request must carry a background (rule "background.set"). */
  readonly needsBackground: (params: P) => boolean;
  /** Whether it needs the model's own gradients (FAILED_PRECONDITION on ONNX or a graph). */
  readonly needsGradients: (params: P) => boolean;
  /** Whether rows are images (the --max-image-elements limit) rather than tabular (--max-tabular-features). */
  readonly image: boolean;
  /** Whether the evaluator must answer every output column (the method picks the predicted one itself). */
  readonly allOutputs: boolean;
  /** Background rows kept when Background.size is unset (undefined: every row). */
  readonly defaultBackgroundSize?: number;
  /** The method's black-box alternative, named in the FAILED_PRECONDITION of a model without gradients. */
  readonly blackBoxAlternative?: string;
  /** @throws InvalidArgumentError naming `<field>.<param>` and the rule. */
  readParams(message: unknown, setup: MethodSetup): P;
  /** The settings with defaults filled, for ExplanationMeta. */
  paramsMessage(params: P): unknown;
  /** A row's result as InstanceExplanation's result fields. */
  resultMessage(result: R, setup: MethodSetup): unknown;
  /**
   * Attribution methods: a row's attributions per explained model output column (for
   * global explanations, which aggregate them); absent for methods without per-feature
   * attributions (anchors, counterfactuals).
   */
  attributionsOf?(
    result: R,
    setup: MethodSetup,
  ): { readonly column: number; readonly values: Float64Array }[];
}

/** An entry of any params and result: each is typed where it is built (defineMethod). */
// biome-ignore lint/suspicious/noExplicitAny: entries differ in params and results.
export type AnyMethodEntry = MethodEntry<any, any>;

/** Methods by oneof key. */
export type MethodRegistry = ReadonlyMap<string, AnyMethodEntry>;

/** The contract's method oneof: key → field name, for "method.set" and "not built" sentences. */
export const CONTRACT_METHODS: Readonly<Record<string, string>> = {
  anchors: 'anchors',
  kernelShap: 'kernel_shap',
  integratedGradients: 'integrated_gradients',
  counterfactual: 'counterfactual',
  occlusion: 'occlusion',
};
