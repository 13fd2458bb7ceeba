/**
 * A validated graph made ready to run: nodes by name with their effective policies, and
 * the graph's tensor signature where the spec declares it. Built once per apply.
 */
import { overlappingDetectorSteps } from './detector-overlap.js';
import type { GraphSpec, NodeBody, TensorSignature } from './graph-spec.js';
import { type ResolvedPolicy, resolvePolicy } from './node-policy.js';

/** A node ready to run. */
export interface CompiledNode {
  readonly name: string;
  readonly body: NodeBody;
  readonly policy: ResolvedPolicy;
}

/** A graph ready to run. */
export interface CompiledGraph {
  readonly spec: GraphSpec;
  readonly root: CompiledNode;
  readonly nodes: ReadonlyMap<string, CompiledNode>;
  /** The graph's inputs as declared by the node requests enter first; undefined when unknown. */
  readonly inputs?: readonly TensorSignature[];
  /** The graph's outputs as declared by the node that answers last; undefined when unknown. */
  readonly outputs?: readonly TensorSignature[];
  /** The model node requests reach first (following first branches), for metadata from upstream. */
  readonly entryModel?: CompiledNode;
  /** The model node whose outputs are the answer, where one model decides the shape. */
  readonly exitModel?: CompiledNode;
  /**
   * Whether the caller's request bytes may be forwarded (docs/design/router-byte-path.md;
   * GraphExecutor.forwardsCallerBytes adds the request's part of the rule): the root
   * is one model node that sends the request on unchanged (or a sequence of detectors
   * ending in one: {@link forwardingModel}), so no per-node `parameters`
   * (merged into the request's) and no `outputs` selection (sent instead of the caller's).
   * Declared inputs and outputs do not matter: no path checks requests or answers against
   * them (they serve ModelMetadata).
   */
  readonly bytePath: boolean;
  /**
   * The model node whose call may forward the caller's bytes when {@link bytePath}: the
   * root itself, or the last step of a root sequence whose earlier steps are detectors that
   * hand the request on as it is (async, or sync and overlapped: no later step waits for
   * their verdict, so the model's input is the request's tensors and parameters).
   */
  readonly forwardingModel?: CompiledNode;
  /**
   * By sequence node, the steps that are sync detectors run beside the steps after them
   * (their verdict joined when the sequence ends): see detector-overlap.ts.
   */
  readonly overlappedDetectors: ReadonlyMap<string, ReadonlySet<number>>;
}

/** Whether `node` is a model node that sends its input on unchanged. */
function sendsRequestUnchanged(node: CompiledNode | undefined): boolean {
  const body = node?.body;
  return body?.kind === 'model' && Object.keys(body.parameters).length === 0 && body.outputs.length === 0;
}

/** See {@link CompiledGraph.forwardingModel}. */
function forwardingModelOf(
  root: CompiledNode,
  nodes: ReadonlyMap<string, CompiledNode>,
  overlapped: ReadonlyMap<string, ReadonlySet<number>>,
): CompiledNode | undefined {
  if (sendsRequestUnchanged(root)) return root;
  if (root.body.kind !== 'sequence') return undefined;
  const steps = root.body.steps;
  const last = steps[steps.length - 1];
  // Every step given the request's tensors as they are: no mapping, no merge.
  if (!last || steps.some((s) => s.mapping !== undefined || s.input === 'merged')) return undefined;
  const model = nodes.get(last.node);
  if (!sendsRequestUnchanged(model)) return undefined;
  const handsOn = steps.slice(0, -1).every((s, i) => {
    const body = nodes.get(s.node)?.body;
    return body?.kind === 'detector' && (body.mode === 'async' || overlapped.get(root.name)?.has(i) === true);
  });
  return handsOn ? model : undefined;
}

/** Follows first branches (or last steps, for `exit`) down to a model node. */
function edgeModel(
  nodes: ReadonlyMap<string, CompiledNode>,
  name: string,
  side: 'entry' | 'exit',
  depth = 0,
): CompiledNode | undefined {
  const node = nodes.get(name);
  if (!node || depth > nodes.size) return undefined;
  const body = node.body;
  const next = (n: string | undefined) =>
    n === undefined ? undefined : edgeModel(nodes, n, side, depth + 1);
  switch (body.kind) {
    case 'model':
      return node;
    case 'sequence': {
      if (side === 'entry') return body.steps[0]?.mapping ? undefined : next(body.steps[0]?.node);
      return next(body.steps[body.steps.length - 1]?.node);
    }
    case 'shadow':
      return next(body.primary);
    case 'switch':
      return next(body.cases[0]?.node ?? body.defaultNode);
    case 'splitter':
      return next(body.branches[0]?.node);
    case 'ensemble':
      return side === 'entry' || body.combiner === 'mean' || body.combiner === 'weighted_mean'
        ? next(body.members[0]?.node)
        : undefined;
    case 'detector':
      return undefined;
  }
}

function signature(
  nodes: ReadonlyMap<string, CompiledNode>,
  name: string,
  side: 'inputs' | 'outputs',
  depth = 0,
): readonly TensorSignature[] | undefined {
  const body = nodes.get(name)?.body;
  if (!body || depth > nodes.size) return undefined;
  switch (body.kind) {
    case 'model': {
      const declared = side === 'inputs' ? body.declaredInputs : body.declaredOutputs;
      if (declared.length === 0) return undefined;
      return side === 'outputs' && body.outputs.length > 0
        ? declared.filter((t) => body.outputs.includes(t.name))
        : declared;
    }
    case 'sequence': {
      const step = side === 'inputs' ? body.steps[0] : body.steps[body.steps.length - 1];
      if (!step || (side === 'inputs' && step.mapping)) return undefined;
      return signature(nodes, step.node, side, depth + 1);
    }
    case 'shadow':
      return signature(nodes, body.primary, side, depth + 1);
    case 'splitter':
    case 'switch':
    case 'ensemble': {
      // Inputs are shared by every branch; outputs only when a combiner keeps the members' shape.
      const first =
        body.kind === 'splitter'
          ? body.branches[0]?.node
          : body.kind === 'switch'
            ? body.cases[0]?.node
            : body.members[0]?.node;
      if (first === undefined) return undefined;
      if (
        side === 'outputs' &&
        body.kind === 'ensemble' &&
        body.combiner !== 'mean' &&
        body.combiner !== 'weighted_mean'
      )
        return undefined;
      return signature(nodes, first, side, depth + 1);
    }
    case 'detector':
      return undefined;
  }
}

/** Compiles a graph that passed validation. */
export function compileGraph(spec: GraphSpec): CompiledGraph {
  const nodes = new Map<string, CompiledNode>();
  for (const node of spec.nodes) {
    if (!node.body) continue;
    nodes.set(
      node.name,
      Object.freeze({ name: node.name, body: node.body, policy: resolvePolicy(node.policy, spec.defaults) }),
    );
  }
  const root = nodes.get(spec.root);
  if (!root) throw new Error(`graph "${spec.name}": root "${spec.root}" missing after validation`);
  const inputs = signature(nodes, spec.root, 'inputs');
  const outputs = signature(nodes, spec.root, 'outputs');
  const entryModel = edgeModel(nodes, spec.root, 'entry');
  const exitModel = edgeModel(nodes, spec.root, 'exit');
  const overlappedDetectors = overlappingDetectorSteps(nodes);
  const forwardingModel = forwardingModelOf(root, nodes, overlappedDetectors);
  return Object.freeze({
    spec,
    root,
    nodes,
    ...(inputs ? { inputs } : {}),
    ...(outputs ? { outputs } : {}),
    ...(entryModel ? { entryModel } : {}),
    ...(exitModel ? { exitModel } : {}),
    bytePath: forwardingModel !== undefined,
    ...(forwardingModel ? { forwardingModel } : {}),
    overlappedDetectors,
  });
}
