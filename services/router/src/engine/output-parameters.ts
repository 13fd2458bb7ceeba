/**
 * Requested outputs whose parameters only the model-server applies (Triton's
 * `classification`): the router forwards them to the model node whose answer is the
 * graph's, and refuses a request it cannot honour instead of answering without them.
 */
import { InvalidArgumentError, UnavailableError } from '@sightline/errors';
import type { CompiledGraph, CompiledNode } from '../graph/compiled-graph.js';
import type { RoutedRequest } from './routed-request.js';

/** The first requested output with model-server parameters and its first parameter's name. */
function firstOutputParameter(request: RoutedRequest): { output: string; parameter: string } | undefined {
  for (const [output, parameters] of Object.entries(request.outputParameters ?? {})) {
    const parameter = Object.keys(parameters)[0];
    if (parameter !== undefined) return { output, parameter };
  }
  return undefined;
}

/** Whether the request asks outputs with parameters that the model-server applies. */
export function hasOutputParameters(request: RoutedRequest): boolean {
  return firstOutputParameter(request) !== undefined;
}

/**
 * Why the answer of `node` may not come from a model node (so requested-output parameters
 * cannot be forwarded), or undefined when every way down ends in one: a model node; a
 * sequence's last step; every switch case, default and splitter branch; a shadow's
 * primary; an ensemble's combiner node. A graph is validated acyclic, so this ends.
 */
function notFromModel(graph: CompiledGraph, node: CompiledNode): string | undefined {
  const child = (name: string): string | undefined => {
    const next = graph.nodes.get(name);
    return next ? notFromModel(graph, next) : undefined;
  };
  const firstOf = (names: readonly string[]): string | undefined => {
    for (const name of names) {
      const reason = child(name);
      if (reason !== undefined) return reason;
    }
    return undefined;
  };
  const body = node.body;
  switch (body.kind) {
    case 'model':
      return undefined;
    case 'sequence': {
      const last = body.steps[body.steps.length - 1];
      return last ? child(last.node) : undefined;
    }
    case 'switch':
      return firstOf([...body.cases.map((c) => c.node), ...(body.defaultNode ? [body.defaultNode] : [])]);
    case 'splitter':
      return firstOf(body.branches.map((b) => b.node));
    case 'shadow':
      return child(body.primary);
    case 'ensemble':
      return body.combiner === 'model'
        ? child(body.combinerNode)
        : `ends in ensemble node "${node.name}", whose answer the router combines itself (${body.combiner ?? 'mean'})`;
    case 'detector':
      return `ends in detector node "${node.name}", which answers with its input`;
  }
}

/**
 * Refuses a request whose requested-output parameters could not reach the model that
 * answers: INVALID_ARGUMENT naming the output, the parameter and the node in the way.
 */
export function checkOutputParametersForwardable(graph: CompiledGraph, request: RoutedRequest): void {
  const first = firstOutputParameter(request);
  if (!first) return;
  const reason = notFromModel(graph, graph.root);
  if (reason === undefined) return;
  throw new InvalidArgumentError(
    `output "${first.output}": parameter "${first.parameter}" is applied by the model-server; graph "${graph.spec.name}" ${reason}`,
  );
}

/**
 * Fails a run whose answer did not come from the model call that carried the
 * requested-output parameters (that node was soft and skipped): answering without them
 * would silently ignore what the caller asked.
 */
export function outputParametersNotApplied(request: RoutedRequest, skipped: readonly string[]): never {
  const first = firstOutputParameter(request)!;
  throw new UnavailableError(
    `output "${first.output}": parameter "${first.parameter}" was not applied: the node that answers failed and was skipped (soft: ${skipped.map((s) => `"${s}"`).join(', ')})`,
  );
}
