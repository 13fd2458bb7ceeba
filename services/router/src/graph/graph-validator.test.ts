import { describe, expect, it } from 'vitest';
import { parseGraphDocument } from '../contract/graph-document.js';
import type { GraphSpec } from './graph-spec.js';
import { isValid, validateGraph } from './graph-validator.js';

function parse(text: string): GraphSpec {
  const parsed = parseGraphDocument(text, { source: 'test.yaml' });
  expect(parsed.problems).toEqual([]);
  return parsed.graph!;
}

describe('validateGraph', () => {
  it('accepts a well-formed graph', () => {
    const graph = parse(`
name: ok
root: seq
nodes:
  - name: seq
    sequence: { steps: [{ node: a }, { node: b }] }
  - name: a
    model: { address: "127.0.0.1:1", modelName: m }
  - name: b
    model: { modelName: m2 }
`);
    expect(validateGraph(graph)).toEqual([]);
  });

  it('lists every problem, each naming the node and the rule', () => {
    const graph = parse(`
name: Bad_Name
root: missing
nodes:
  - name: loop-a
    sequence: { steps: [{ node: loop-b }] }
  - name: loop-b
    sequence: { steps: [{ node: loop-a }, { node: ghost }] }
  - name: nothing
  - name: ab
    splitter: { branches: [{ node: loop-a, weight: 60 }, { node: loop-b, weight: 30 }] }
  - name: ens
    ensemble: { members: [{ node: loop-a }] }
  - name: m
    policy: { retry: { maxAttempts: 20, retryableCodes: [NOPE] } }
    model: { modelName: "" }
`);
    const problems = validateGraph(graph);
    const rules = problems.map((p) => `${p.node}:${p.rule}`);
    expect(rules).toEqual(
      expect.arrayContaining([
        ':name.format',
        ':root.exists',
        'loop-b:node.reference_exists',
        'nothing:node.kind_set',
        'ab:splitter.weights_sum',
        'ens:ensemble.members_min',
        'ens:ensemble.combiner_set',
        'm:model.name_set',
        'm:retry.max_attempts_range',
        'm:retry.code_known',
        'loop-a:graph.acyclic',
      ]),
    );
    expect(problems.find((p) => p.rule === 'node.reference_exists')?.message).toBe(
      'node "loop-b": sequence.steps[1].node refers to unknown node "ghost"',
    );
    expect(problems.find((p) => p.rule === 'graph.acyclic')?.message).toContain('loop-a -> loop-b -> loop-a');
    expect(problems.find((p) => p.rule === 'splitter.weights_sum')?.message).toBe(
      'node "ab": splitter weights must sum to 100, got 90',
    );
    expect(isValid(problems)).toBe(false);
  });

  it('warns about unreachable nodes without refusing the graph', () => {
    const graph = parse(`
name: warn
root: a
nodes:
  - { name: a, model: { modelName: m } }
  - { name: orphan, model: { modelName: m } }
`);
    const problems = validateGraph(graph);
    expect(problems).toEqual([
      expect.objectContaining({ severity: 'warning', node: 'orphan', rule: 'graph.reachable' }),
    ]);
    expect(isValid(problems)).toBe(true);
  });

  it('checks declared tensors between sequence steps: names, datatypes and shapes', () => {
    const graph = parse(`
name: types
root: seq
nodes:
  - name: seq
    sequence:
      steps:
        - node: a
        - node: b
        - node: c
          mapping: { rename: { scores: x } }
  - name: a
    model:
      modelName: a
      declaredOutputs: [{ name: scores, datatype: FP32, shape: [-1, 3] }]
  - name: b
    model:
      modelName: b
      declaredInputs: [{ name: scores, datatype: INT64, shape: [-1, 4] }]
      declaredOutputs: [{ name: scores, datatype: FP32, shape: [-1, 3] }]
  - name: c
    model:
      modelName: c
      declaredInputs: [{ name: input, datatype: FP32, shape: [-1, 3] }]
`);
    const messages = validateGraph(graph)
      .filter((p) => p.rule === 'tensor.compatible')
      .map((p) => p.message);
    expect(messages).toEqual([
      'node "seq": steps[1] ("b") input "scores" is INT64 but steps[0] produces FP32',
      'node "seq": steps[1] ("b") input "scores" has shape [-1,4] but steps[0] produces [-1,3]',
      'node "seq": steps[2] ("c") needs input "input" but steps[1] ("b") produces "x"',
    ]);
  });

  it('checks switch conditions and detector settings', () => {
    const graph = parse(`
name: conds
root: sw
nodes:
  - name: sw
    switch:
      cases:
        - { condition: { header: x-bin, operator: exists, values: [1] }, node: d }
        - { condition: { parameter: p }, node: d }
        - { node: d }
  - name: d
    detector: { detector: od, mode: async, addVerdictToResponse: true }
`);
    const rules = validateGraph(graph).map((p) => p.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'condition.header_text',
        'condition.values_count',
        'condition.operator_set',
        'switch.condition_set',
        'detector.kind_set',
        'detector.verdict_needs_sync',
      ]),
    );
  });
});
