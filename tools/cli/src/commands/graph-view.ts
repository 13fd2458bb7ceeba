/**
 * How the `graphs` commands print graphs: a stored graph's summary and one row per node
 * (its kind and what it calls), validation problems as a table. `--json` prints the
 * protobuf JSON mapping of the router's messages (the form `graphs apply` reads back).
 */
import { routerV1 } from '@sightline/contracts';
import { type CommandResult, fields, table } from '../frame/output.js';

type Node = routerV1.Node;

/** A node's kind and a one-line description of what it calls. */
export function describeNode(node: Node): [kind: string, calls: string] {
  if (node.model)
    return ['model', `${node.model.modelName}${node.model.address ? ` @ ${node.model.address}` : ''}`];
  if (node.sequence) return ['sequence', node.sequence.steps.map((s) => s.node).join(' -> ')];
  if (node.switch) {
    const cases = node.switch.cases.map((c) => c.node);
    return [
      'switch',
      [...cases, ...(node.switch.defaultNode ? [`default ${node.switch.defaultNode}`] : [])].join(' | '),
    ];
  }
  if (node.ensemble) return ['ensemble', node.ensemble.members.map((m) => m.node).join(' + ')];
  if (node.splitter)
    return ['splitter', node.splitter.branches.map((b) => `${b.node} ${b.weight}%`).join(', ')];
  if (node.shadow) return ['shadow', `${node.shadow.primary}, mirrored to ${node.shadow.mirrors.join(', ')}`];
  if (node.detector)
    return [
      'detector',
      `${node.detector.detector}${node.detector.address ? ` @ ${node.detector.address}` : ''}`,
    ];
  return ['(none)', ''];
}

/** The JSON form of a stored graph (protobuf JSON mapping). */
export function storedGraphJson(graph: routerV1.StoredGraph): unknown {
  return routerV1.StoredGraph.toJSON(graph);
}

/** One stored graph: its summary fields and its nodes. */
export function storedGraphResult(
  stored: routerV1.StoredGraph,
  extra: { readonly json?: Record<string, unknown>; readonly fields?: readonly [string, string][] } = {},
): CommandResult {
  const graph = stored.graph ?? routerV1.Graph.fromPartial({});
  return {
    json: { ...extra.json, graph: storedGraphJson(stored) },
    human: () => [
      fields([
        ['graph', graph.name],
        ['description', graph.description],
        ['root', graph.root],
        ['generation', stored.generation],
        ['created', stored.createTime?.toISOString()],
        ['updated', stored.updateTime?.toISOString()],
        ...(extra.fields ?? []),
      ]),
      table(
        ['node', 'kind', 'calls'],
        graph.nodes.map((node) => [node.name, ...describeNode(node)]),
        'nodes',
      ),
    ],
  };
}

/** The stored graphs as a list. */
export function graphListResult(graphs: readonly routerV1.StoredGraph[]): CommandResult {
  return {
    json: { graphs: graphs.map(storedGraphJson) },
    human: () => [
      table(
        ['graph', 'generation', 'root', 'nodes', 'updated', 'description'],
        graphs.map((stored) => [
          stored.graph?.name,
          stored.generation,
          stored.graph?.root,
          stored.graph?.nodes.length ?? 0,
          stored.updateTime?.toISOString(),
          stored.graph?.description,
        ]),
      ),
    ],
  };
}

const SEVERITY: Readonly<Record<number, string>> = {
  [routerV1.GraphProblemSeverity.GRAPH_PROBLEM_SEVERITY_ERROR]: 'error',
  [routerV1.GraphProblemSeverity.GRAPH_PROBLEM_SEVERITY_WARNING]: 'warning',
};

/** A ValidateGraph answer: valid or not, and every problem. */
export function validationResult(
  file: string,
  valid: boolean,
  problems: readonly routerV1.GraphProblem[],
): CommandResult {
  const rows = problems.map((p) => ({
    severity: SEVERITY[p.severity] ?? 'unspecified',
    node: p.node,
    field: p.field,
    rule: p.rule,
    message: p.message,
  }));
  return {
    json: { file, valid, problems: rows },
    human: () => [
      fields([
        ['file', file],
        ['valid', valid ? 'yes' : 'no'],
      ]),
      table(
        ['severity', 'node', 'field', 'rule', 'message'],
        rows.map((r) => [r.severity, r.node, r.field, r.rule, r.message]),
        'problems',
      ),
    ],
  };
}
