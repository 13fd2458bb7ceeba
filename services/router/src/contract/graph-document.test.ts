import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { validateGraph } from '../graph/graph-validator.js';
import { parseGraphDocument } from './graph-document.js';
import { graphFromMessage, graphToMessage } from './graph-message.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/graphs');

describe('parseGraphDocument', () => {
  it('reads short enum names, plain parameter values and env substitution', () => {
    const parsed = parseGraphDocument(
      `
name: g
root: e
nodes:
  - name: e
    policy: { dependency: soft, timeoutMs: 50 }
    ensemble: { members: [{ node: a }, { node: a }], combiner: weighted_mean }
  - name: a
    model: { address: "\${ADDR}", modelName: m, parameters: { k: 3, s: text, b: true, d: 0.5 } }
  - name: s
    switch: { cases: [{ condition: { parameter: p, operator: in, values: [x, 2] }, node: a }] }
`,
      { env: { ADDR: '10.0.0.1:9' } },
    );
    expect(parsed.problems).toEqual([]);
    const nodes = parsed.graph!.nodes;
    expect(nodes[0]).toMatchObject({
      policy: { dependency: 'soft', timeoutMs: 50 },
      body: { combiner: 'weighted_mean' },
    });
    expect(nodes[1]!.body).toMatchObject({
      address: '10.0.0.1:9',
      parameters: { k: 3n, s: 'text', b: true, d: 0.5 },
    });
    expect(nodes[2]!.body).toMatchObject({ cases: [{ condition: { operator: 'in', values: ['x', 2] } }] });
  });

  it('uses the default of a reference with one and reports unset variables without one', () => {
    const dollar = '$';
    expect(parseGraphDocument(`name: "${dollar}{N:-dflt}"\nroot: x`, {}).graph?.name).toBe('dflt');
    const parsed = parseGraphDocument(`name: "${dollar}{NOPE}"\nroot: x`, {});
    expect(parsed.problems).toEqual([expect.objectContaining({ rule: 'document.env_set' })]);
    // A name Object.prototype has is unset too, not its member stringified.
    expect(parseGraphDocument(`name: "${dollar}{constructor:-dflt}"\nroot: x`, {}).graph?.name).toBe('dflt');
  });

  it('reports unknown node kinds and enum names, and syntax errors with line and column', () => {
    const parsed = parseGraphDocument(`
name: g
root: a
nodes:
  - name: a
    transformer: {}
  - name: b
    ensemble: { combiner: median }
`);
    expect(parsed.problems.map((p) => p.message)).toEqual([
      'node "a": "transformer" is not a node kind or field; kinds are model, sequence, switch, ensemble, splitter, shadow, detector',
      'node "b": nodes[1].ensemble.combiner "median" is not one of mean, weighted_mean, majority_vote, concat, model',
    ]);
    const bad = parseGraphDocument('name: g\nnodes: [\n', { source: 'bad.yaml' });
    expect(bad.graph).toBeUndefined();
    expect(bad.problems[0]!.message).toMatch(/^bad\.yaml: invalid YAML at line \d+, column \d+/);
    expect(parseGraphDocument('{"name": ', { source: 'x.json' }).problems[0]!.message).toMatch(
      /^x\.json: invalid JSON/,
    );
  });

  it('round-trips through the protobuf message', () => {
    const text = readFileSync(path.join(EXAMPLES, 'iris-ensemble.yaml'), 'utf8');
    const graph = parseGraphDocument(text, {}).graph!;
    expect(graphFromMessage(graphToMessage(graph))).toEqual(graph);
  });

  it('parses and validates every example graph without problems', () => {
    const files = readdirSync(EXAMPLES).filter((f) => /\.ya?ml$|\.json$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const file of files) {
      const parsed = parseGraphDocument(readFileSync(path.join(EXAMPLES, file), 'utf8'), { source: file });
      expect(parsed.problems, file).toEqual([]);
      expect(validateGraph(parsed.graph!), file).toEqual([]);
    }
  });
});
