/**
 * Which upstream models can answer ModelMetadata for a graph, in order, and asking them
 * until one answers. A graph's inputs are those of any model its requests can reach first
 * (every switch case, splitter branch and ensemble member takes the same input; a detector
 * passes its input on, and so does a soft sequence step that fails), and its outputs those of a model that answers last where one model
 * decides the shape. Asking the next candidate when one is down keeps a dead soft node
 * from failing metadata; when none answers, the error names every node and address tried.
 */
import { isSightlineError, SightlineError } from '@sightline/errors';
import type { ModelTarget } from '../engine/ports.js';
import type { CompiledGraph, CompiledNode } from '../graph/compiled-graph.js';
import type { TensorSignature } from '../graph/graph-spec.js';

type Side = 'entry' | 'exit';

/** The model nodes whose metadata describes the graph's `side`, most direct first, each once. */
export function metadataCandidates(graph: CompiledGraph, side: Side): CompiledNode[] {
  const found: CompiledNode[] = [];
  const seen = new Set<string>();
  const visit = (name: string | undefined): void => {
    if (name === undefined || seen.has(name)) return;
    seen.add(name);
    const node = graph.nodes.get(name);
    if (!node) return;
    const body = node.body;
    switch (body.kind) {
      case 'model':
        found.push(node);
        return;
      case 'sequence': {
        // A detector step passes its input on, and a soft step that fails is skipped: the
        // step after either sees the same tensors, so it can answer when that one does not.
        const steps = side === 'entry' ? body.steps : [...body.steps].reverse();
        for (const step of steps) {
          if (side === 'entry' && step.mapping) return;
          visit(step.node);
          const stepNode = graph.nodes.get(step.node);
          if (stepNode?.body.kind !== 'detector' && stepNode?.policy.dependency !== 'soft') return;
        }
        return;
      }
      case 'shadow':
        visit(body.primary);
        return;
      case 'switch':
        for (const c of body.cases) visit(c.node);
        visit(body.defaultNode || undefined);
        return;
      case 'splitter':
        for (const b of body.branches) visit(b.node);
        return;
      case 'ensemble':
        if (side === 'exit' && body.combiner !== 'mean' && body.combiner !== 'weighted_mean') return;
        for (const m of body.members) visit(m.node);
        return;
      case 'detector':
        return;
    }
  };
  visit(graph.spec.root);
  return found;
}

/** A candidate named for messages: `node "a" (model "iris" at 127.0.0.1:8001)`. */
export function describeCandidate(node: CompiledNode, defaultAddress: string): string {
  if (node.body.kind !== 'model') return `node "${node.name}"`;
  const address = node.body.address || defaultAddress || '(no --default-model-server)';
  return `node "${node.name}" (model "${node.body.modelName}" at ${address})`;
}

/**
 * The first answer of `ask` over `candidates`, in order; undefined when there are none.
 *
 * @throws the code of the first failure, naming every candidate tried and its error.
 */
export async function firstAnswer<T>(
  graphName: string,
  candidates: readonly CompiledNode[],
  defaultAddress: string,
  ask: (node: CompiledNode) => Promise<T>,
): Promise<T | undefined> {
  const failures: { node: CompiledNode; error: unknown }[] = [];
  for (const node of candidates) {
    try {
      return await ask(node);
    } catch (error) {
      // The caller went away: no point asking the next one.
      if (isSightlineError(error) && error.code === 'CANCELLED') throw error;
      failures.push({ node, error });
    }
  }
  if (failures.length === 0) return undefined;
  const first = failures[0]!.error;
  const reasons = failures.map(
    ({ node, error }) =>
      `${describeCandidate(node, defaultAddress)}: ${firstClause(error instanceof Error ? error.message : String(error))}`,
  );
  throw new SightlineError(
    isSightlineError(first) ? first.code : 'UNAVAILABLE',
    `graph "${graphName}": no node answered ModelMetadata: ${reasons.join('; ')}`,
    { cause: first },
  );
}

/**
 * grpc-js's connection failure without what it appends ("... Last error: ... Resolution
 * note: ..."): the candidate's description already names the node and address.
 */
function firstClause(message: string): string {
  return message.replace(/\.?\s*(?:Last error|Resolution note):[\s\S]*$/, '');
}

/**
 * The graph's inputs (`entry`) or outputs (`exit`) as the first candidate model that
 * answers reports them (outputs narrowed to the node's `outputs` selection); undefined when
 * no model decides them.
 *
 * @throws as {@link firstAnswer} when every candidate fails.
 */
export async function upstreamSignature(
  graph: CompiledGraph,
  side: Side,
  defaultAddress: string,
  lookup: (
    target: ModelTarget,
  ) => Promise<{ readonly inputs: readonly TensorSignature[]; readonly outputs: readonly TensorSignature[] }>,
): Promise<readonly TensorSignature[] | undefined> {
  return firstAnswer(graph.spec.name, metadataCandidates(graph, side), defaultAddress, async (node) => {
    if (node.body.kind !== 'model') return undefined;
    const body = node.body;
    const metadata = await lookup({
      address: body.address || defaultAddress,
      modelName: body.modelName,
      modelVersion: body.modelVersion,
    });
    if (side === 'entry') return metadata.inputs;
    return body.outputs.length > 0
      ? metadata.outputs.filter((t) => body.outputs.includes(t.name))
      : metadata.outputs;
  });
}
