/**
 * What one request may cost, checked when a graph is validated: how deep the graph is, how
 * many mirrors a shadow fans out to, and how many upstream calls one request can make.
 *
 * The executor runs a node once per request for each distinct input it is given (it
 * memoises node results), so a node that several parents read in the same context runs
 * once: ensemble members, switch cases, splitter branches and a shadow's primary all get
 * their parent's input. A sequence step, an ensemble's combiner node and a shadow's mirror
 * start from a new input, so what they call is counted again for each. The count is an
 * upper bound: every switch case and splitter branch is counted as if it ran, and retries
 * are not counted (each call makes at most `retry.max_attempts` attempts).
 */
import { quoteName } from '@sightline/errors';
import {
  type GraphProblem,
  type GraphSpec,
  type NodeBody,
  type NodeSpec,
  nodeReferences,
} from './graph-spec.js';

/** Default most upstream calls (model and detector nodes run) one request may make. */
export const DEFAULT_MAX_UPSTREAM_CALLS_PER_REQUEST = 64;
/** Default most nodes on a path from the root down (the root alone is depth 1). */
export const DEFAULT_MAX_GRAPH_DEPTH = 32;
/** Default most mirrors of one shadow node. */
export const DEFAULT_MAX_MIRRORS_PER_SHADOW = 8;

/** The limits {@link checkCallBudget} applies. */
export interface CallBudgetLimits {
  readonly maxUpstreamCallsPerRequest: number;
  readonly maxGraphDepth: number;
  readonly maxMirrorsPerShadow: number;
}

/** The defaults of every budget limit. */
export const DEFAULT_CALL_BUDGET_LIMITS: CallBudgetLimits = Object.freeze({
  maxUpstreamCallsPerRequest: DEFAULT_MAX_UPSTREAM_CALLS_PER_REQUEST,
  maxGraphDepth: DEFAULT_MAX_GRAPH_DEPTH,
  maxMirrorsPerShadow: DEFAULT_MAX_MIRRORS_PER_SHADOW,
});

/** Children that get their parent's input, so a node shared among them runs once. */
function sameInputChildren(body: NodeBody): string[] {
  switch (body.kind) {
    case 'ensemble':
      return body.members.map((m) => m.node);
    case 'switch':
      return [...body.cases.map((c) => c.node), ...(body.defaultNode === '' ? [] : [body.defaultNode])];
    case 'splitter':
      return body.branches.map((b) => b.node);
    case 'shadow':
      return [body.primary];
    default:
      return [];
  }
}

/** Children that start from a new input: each is a new run of what it calls. */
function newInputChildren(body: NodeBody): string[] {
  switch (body.kind) {
    case 'sequence':
      return body.steps.map((s) => s.node);
    case 'ensemble':
      return body.combinerNode === '' ? [] : [body.combinerNode];
    case 'shadow':
      return [...body.mirrors];
    default:
      return [];
  }
}

function problem(node: string, field: string, rule: string, message: string): GraphProblem {
  return {
    severity: 'error',
    node,
    field,
    rule,
    message: node ? `node ${quoteName(node)}: ${message}` : message,
  };
}

/**
 * The budget problems of `graph` (limits unset take their defaults). A graph with a cycle
 * or a dangling reference is left to the validator's own rules: nothing is counted then.
 */
export function checkCallBudget(graph: GraphSpec, limits: Partial<CallBudgetLimits> = {}): GraphProblem[] {
  const { maxUpstreamCallsPerRequest, maxGraphDepth, maxMirrorsPerShadow } = {
    ...DEFAULT_CALL_BUDGET_LIMITS,
    ...Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)),
  };
  const problems: GraphProblem[] = [];
  const byName = new Map<string, NodeSpec>();
  for (const node of graph.nodes) if (!byName.has(node.name)) byName.set(node.name, node);

  graph.nodes.forEach((node, i) => {
    if (node.body?.kind === 'shadow' && node.body.mirrors.length > maxMirrorsPerShadow) {
      problems.push(
        problem(
          node.name,
          `nodes[${i}].shadow.mirrors`,
          'shadow.max_mirrors',
          `shadow has ${node.body.mirrors.length} mirrors; at most ${maxMirrorsPerShadow} (--max-mirrors-per-shadow)`,
        ),
      );
    }
  });

  const root = byName.get(graph.root);
  if (!root || !countable(byName)) return problems;

  // Depth: the most nodes on a path down from the root.
  const depthOf = new Map<string, number>();
  const depth = (name: string): number => {
    const known = depthOf.get(name);
    if (known !== undefined) return known;
    const body = byName.get(name)!.body;
    const below = body ? nodeReferences(body).map((r) => depth(r.node)) : [];
    const d = 1 + Math.max(0, ...below);
    depthOf.set(name, d);
    return d;
  };
  const rootDepth = depth(root.name);
  if (rootDepth > maxGraphDepth) {
    problems.push(
      problem(
        '',
        'nodes',
        'graph.max_depth',
        `graph is ${rootDepth} nodes deep from root ${quoteName(graph.root)}; at most ${maxGraphDepth} (--max-graph-depth)`,
      ),
    );
  }

  // Upstream calls: per run started from a new input, each node reached with that input once.
  const callsOf = new Map<string, number>();
  const callsFrom = (entry: string): number => {
    const known = callsOf.get(entry);
    if (known !== undefined) return known;
    const reached = new Set<string>([entry]);
    const queue = [entry];
    let calls = 0;
    while (queue.length > 0) {
      const body = byName.get(queue.shift()!)!.body;
      if (!body) continue;
      if (body.kind === 'model' || body.kind === 'detector') calls += 1;
      for (const child of newInputChildren(body)) calls += callsFrom(child);
      for (const child of sameInputChildren(body)) {
        if (!reached.has(child)) {
          reached.add(child);
          queue.push(child);
        }
      }
    }
    callsOf.set(entry, calls);
    return calls;
  };
  const calls = callsFrom(root.name);
  if (calls > maxUpstreamCallsPerRequest) {
    problems.push(
      problem(
        '',
        'nodes',
        'graph.max_upstream_calls',
        `one request can make ${Number.isFinite(calls) ? calls : 'more than 2^1024'} upstream calls (model and detector nodes run, each shared node once per input; switch and splitter branches all counted); at most ${maxUpstreamCallsPerRequest} (--max-upstream-calls-per-request)`,
      ),
    );
  }
  return problems;
}

/** Whether every reference resolves and nothing is part of a cycle (so counting ends). */
function countable(byName: ReadonlyMap<string, NodeSpec>): boolean {
  const state = new Map<string, 'visiting' | 'done'>();
  const acyclic = (name: string): boolean => {
    const s = state.get(name);
    if (s === 'done') return true;
    if (s === 'visiting') return false;
    state.set(name, 'visiting');
    const body = byName.get(name)?.body;
    for (const ref of body ? nodeReferences(body) : []) {
      if (!byName.has(ref.node) || !acyclic(ref.node)) return false;
    }
    state.set(name, 'done');
    return true;
  };
  return [...byName.keys()].every(acyclic);
}
