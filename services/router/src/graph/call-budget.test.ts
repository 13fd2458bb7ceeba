import { describe, expect, it } from 'vitest';
import { diamondStack } from '../../test/helpers/graph-shapes.js';
import { parseGraphDocument } from '../contract/graph-document.js';
import { checkCallBudget, DEFAULT_MAX_GRAPH_DEPTH } from './call-budget.js';
import { validateGraph } from './graph-validator.js';

function spec(text: string) {
  const parsed = parseGraphDocument(text);
  expect(parsed.problems).toEqual([]);
  return parsed.graph!;
}

const rules = (text: string, limits = {}) => checkCallBudget(spec(text), limits).map((p) => p.rule);

/** A sequence calling the level below twice, `levels` deep: 2^levels real calls, each with a new input. */
function doublingSequences(levels: number): string {
  const lines = ['name: doubling', 'root: s0', 'nodes:'];
  for (let i = 0; i < levels; i++) {
    lines.push(`  - { name: s${i}, sequence: { steps: [{ node: s${i + 1} }, { node: s${i + 1} }] } }`);
  }
  lines.push(`  - { name: s${levels}, model: { modelName: m } }`);
  return lines.join('\n');
}

describe('checkCallBudget', () => {
  it('counts a diamond stack as the DAG runs it, and refuses one deeper than --max-graph-depth', () => {
    expect(rules(diamondStack(12))).toEqual([]);
    expect(DEFAULT_MAX_GRAPH_DEPTH).toBeLessThan(40);
    const deep = checkCallBudget(spec(diamondStack(40)));
    expect(deep).toEqual([
      expect.objectContaining({
        severity: 'error',
        rule: 'graph.max_depth',
        message: expect.stringContaining('41 nodes deep from root "top"; at most 32 (--max-graph-depth)'),
      }),
    ]);
  });

  it('counts calls made again with new inputs (sequence steps), and refuses past --max-upstream-calls-per-request', () => {
    expect(rules(doublingSequences(6))).toEqual([]);
    const problems = checkCallBudget(spec(doublingSequences(7)));
    expect(problems).toEqual([
      expect.objectContaining({
        rule: 'graph.max_upstream_calls',
        message: expect.stringMatching(
          /can make 128 upstream calls .*at most 64 \(--max-upstream-calls-per-request\)/,
        ),
      }),
    ]);
    expect(rules(doublingSequences(7), { maxUpstreamCallsPerRequest: 128 })).toEqual([]);
  });

  it('counts every switch case, each mirror and an ensemble combiner', () => {
    const graph = `
name: mix
root: sh
nodes:
  - { name: sh, shadow: { primary: sw, mirrors: [e, e] } }
  - name: sw
    switch: { cases: [{ condition: { header: x, operator: exists }, node: a }], defaultNode: e }
  - { name: e, ensemble: { members: [{ node: a }, { node: b }], combiner: model, combinerNode: c } }
  - { name: a, model: { modelName: a } }
  - { name: b, model: { modelName: b } }
  - { name: c, model: { modelName: c } }
`;
    // Primary context: sw, a, e, b, c(new input) = 3; each mirror e: a, b, c = 3.
    expect(rules(graph, { maxUpstreamCallsPerRequest: 9 })).toEqual([]);
    expect(rules(graph, { maxUpstreamCallsPerRequest: 8 })).toEqual(['graph.max_upstream_calls']);
  });

  it('refuses a shadow with more mirrors than --max-mirrors-per-shadow, naming the node and field', () => {
    const mirrors = Array.from({ length: 9 }, (_, i) => `m${i}`);
    const graph = [
      'name: wide',
      'root: sh',
      'nodes:',
      `  - { name: sh, shadow: { primary: p, mirrors: [${mirrors.join(', ')}] } }`,
      '  - { name: p, model: { modelName: p } }',
      ...mirrors.map((m) => `  - { name: ${m}, model: { modelName: ${m} } }`),
    ].join('\n');
    const problems = validateGraph(spec(graph), { maxNodes: 256, maxUpstreamCallsPerRequest: 64 });
    expect(problems.filter((p) => p.severity === 'error')).toEqual([
      expect.objectContaining({
        node: 'sh',
        field: 'nodes[0].shadow.mirrors',
        rule: 'shadow.max_mirrors',
        message: 'node "sh": shadow has 9 mirrors; at most 8 (--max-mirrors-per-shadow)',
      }),
    ]);
    expect(rules(graph, { maxMirrorsPerShadow: 9 })).toEqual([]);
  });

  it('counts nothing for a graph with a cycle (the validator reports it)', () => {
    const graph = `
name: loop
root: a
nodes:
  - { name: a, sequence: { steps: [{ node: b }] } }
  - { name: b, sequence: { steps: [{ node: a }] } }
`;
    expect(rules(graph)).toEqual([]);
  });
});
