/**
 * The inference graph as domain code sees it: plain TypeScript, no protobuf types. The wire
 * form is `sightline.router.v1.Graph` (proto/sightline/router/v1/router.proto); the
 * adapters in src/contract/ convert between the two. Unset enum fields are `undefined`
 * here so validation can name them.
 */
import type { ParameterRecord, ParameterValue } from '@sightline/tensor';

/** Whether a node's failure fails the request. */
export type Dependency = 'hard' | 'soft';

/** Retries with exponential backoff; every field resolved (see {@link resolvePolicy}). */
export interface RetrySpec {
  /** Attempts in all, counting the first. */
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  /** gRPC status names that are retried. */
  readonly retryableCodes: readonly string[];
}

/** A circuit breaker's settings; `failureThreshold` 0 disables it. */
export interface BreakerSpec {
  readonly failureThreshold: number;
  readonly openDurationMs: number;
}

/** A node's policy as written: every field optional, inherited from the graph's defaults. */
export interface PolicySpec {
  readonly dependency?: Dependency;
  /** Per-attempt time limit in ms; undefined inherits, 0 means none. */
  readonly timeoutMs?: number;
  readonly retry?: RetrySpec;
  readonly circuitBreaker?: BreakerSpec;
}

/** A declared tensor signature (shape may hold -1 for a variable dimension). */
export interface TensorSignature {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** Calls one model over the Open Inference Protocol. */
export interface ModelNodeSpec {
  readonly kind: 'model';
  /** `host:port` or a gRPC target; empty means the router's default model-server. */
  readonly address: string;
  readonly modelName: string;
  readonly modelVersion: string;
  /** Outputs to ask for; empty asks for all. */
  readonly outputs: readonly string[];
  readonly parameters: Readonly<ParameterRecord>;
  readonly declaredInputs: readonly TensorSignature[];
  readonly declaredOutputs: readonly TensorSignature[];
}

/** Select then rename. */
export interface TensorMappingSpec {
  readonly select: readonly string[];
  readonly rename: Readonly<Record<string, string>>;
}

/** Where a sequence step's input comes from. */
export type StepInput = 'previous' | 'request' | 'merged';

export interface SequenceStepSpec {
  readonly node: string;
  readonly input: StepInput;
  readonly mapping?: TensorMappingSpec;
}

export interface SequenceNodeSpec {
  readonly kind: 'sequence';
  readonly steps: readonly SequenceStepSpec[];
}

/** The comparisons a condition can make. */
export type ConditionOperator = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'in' | 'matches' | 'exists';

/** What a condition tests. */
export type ConditionSubject =
  | { readonly tensor: { readonly name: string; readonly index: number } }
  | { readonly parameter: string }
  | { readonly header: string };

export interface ConditionSpec {
  readonly subject?: ConditionSubject;
  readonly operator?: ConditionOperator;
  readonly values: readonly ParameterValue[];
}

export interface SwitchCaseSpec {
  readonly condition?: ConditionSpec;
  readonly node: string;
}

export interface SwitchNodeSpec {
  readonly kind: 'switch';
  readonly cases: readonly SwitchCaseSpec[];
  /** Empty: a request matching no case fails with FAILED_PRECONDITION. */
  readonly defaultNode: string;
}

/** How an ensemble combines its members' outputs. */
export type Combiner = 'mean' | 'weighted_mean' | 'majority_vote' | 'concat' | 'model';

export interface EnsembleMemberSpec {
  readonly node: string;
  readonly weight: number;
}

export interface EnsembleNodeSpec {
  readonly kind: 'ensemble';
  readonly members: readonly EnsembleMemberSpec[];
  readonly combiner?: Combiner;
  readonly combinerNode: string;
  /** Output tensors combined; empty combines every tensor all members return. */
  readonly tensors: readonly string[];
  readonly concatAxis: number;
  /** Fewest members that must answer; 0 means every hard member and at least one. */
  readonly minMembers: number;
}

export interface SplitterBranchSpec {
  readonly node: string;
  /** Percent of traffic, 0-100. */
  readonly weight: number;
}

export interface SplitterNodeSpec {
  readonly kind: 'splitter';
  readonly branches: readonly SplitterBranchSpec[];
  readonly stickyKey?: { readonly parameter: string } | { readonly header: string };
}

export interface ShadowNodeSpec {
  readonly kind: 'shadow';
  readonly primary: string;
  readonly mirrors: readonly string[];
  /** Fraction of requests mirrored, in (0, 1]. */
  readonly sampleRate: number;
}

export type DetectorKind = 'outlier' | 'drift';
export type DetectorMode = 'sync' | 'async';

export interface DetectorNodeSpec {
  readonly kind: 'detector';
  readonly detectorKind?: DetectorKind;
  /** Empty means the router's default address for the kind. */
  readonly address: string;
  readonly detector: string;
  readonly mode: DetectorMode;
  readonly addVerdictToResponse: boolean;
  /** Tensors sent; empty sends every tensor of the node's input. */
  readonly tensors: readonly string[];
}

/** What a node does. */
export type NodeBody =
  | ModelNodeSpec
  | SequenceNodeSpec
  | SwitchNodeSpec
  | EnsembleNodeSpec
  | SplitterNodeSpec
  | ShadowNodeSpec
  | DetectorNodeSpec;

/** Every node kind, by name. */
export const NODE_KINDS = [
  'model',
  'sequence',
  'switch',
  'ensemble',
  'splitter',
  'shadow',
  'detector',
] as const;
export type NodeKind = NodeBody['kind'];

export interface NodeSpec {
  readonly name: string;
  readonly policy: PolicySpec;
  /** Undefined when no kind is set (a validation error). */
  readonly body?: NodeBody;
}

/** An inference graph. */
export interface GraphSpec {
  readonly name: string;
  readonly description: string;
  readonly root: string;
  readonly nodes: readonly NodeSpec[];
  /** Whole-graph budget when the client sets no deadline; 0 means the router's default. */
  readonly timeoutMs: number;
  readonly defaults: PolicySpec;
  readonly labels: Readonly<Record<string, string>>;
}

/** One problem in a graph spec. */
export interface GraphProblem {
  readonly severity: 'error' | 'warning';
  /** The node concerned; empty for graph-level problems. */
  readonly node: string;
  /** Path of the offending field, e.g. `nodes[3].splitter.branches[1].weight`. */
  readonly field: string;
  /** Stable rule id, e.g. `splitter.weights_sum`. */
  readonly rule: string;
  /** A sentence naming the node, the field and the rule. */
  readonly message: string;
}

/** A graph as read from a document: the graph when it could be read, and every problem found on the way. */
export interface ParsedDocument {
  readonly graph?: GraphSpec;
  readonly problems: GraphProblem[];
}

/** The child nodes a node refers to, with the field each comes from. */
export function nodeReferences(body: NodeBody): { readonly node: string; readonly field: string }[] {
  switch (body.kind) {
    case 'model':
    case 'detector':
      return [];
    case 'sequence':
      return body.steps.map((s, i) => ({ node: s.node, field: `sequence.steps[${i}].node` }));
    case 'switch': {
      const refs = body.cases.map((c, i) => ({ node: c.node, field: `switch.cases[${i}].node` }));
      if (body.defaultNode !== '') refs.push({ node: body.defaultNode, field: 'switch.default_node' });
      return refs;
    }
    case 'ensemble': {
      const refs = body.members.map((m, i) => ({ node: m.node, field: `ensemble.members[${i}].node` }));
      if (body.combinerNode !== '') refs.push({ node: body.combinerNode, field: 'ensemble.combiner_node' });
      return refs;
    }
    case 'splitter':
      return body.branches.map((b, i) => ({ node: b.node, field: `splitter.branches[${i}].node` }));
    case 'shadow':
      return [
        { node: body.primary, field: 'shadow.primary' },
        ...body.mirrors.map((m, i) => ({ node: m, field: `shadow.mirrors[${i}]` })),
      ];
  }
}
