import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { routerV1 } from '@sightline/contracts';
import { describe, expect, it } from 'vitest';
import { validateGraph } from '../graph/graph-validator.js';
import { parseGraphDocument } from './graph-document.js';
import { graphFromMessage, graphToMessage } from './graph-message.js';

const EXAMPLES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../examples/graphs');

describe('parseGraphDocument', () => {
  it('refuses documents nested deeper than the depth limit with document.max_depth, never a stack overflow', () => {
    const deep = (open: string, close: string, n: number) =>
      `{"name":"deep","root":"m","x":${open.repeat(n)}${close.repeat(n)},"nodes":[]}`;
    const yamlBlock = (n: number) =>
      `name: deep\nroot: m\nx:\n${Array.from({ length: n }, (_, i) => `${' '.repeat(i + 1)}- `).join('\n')}1\n`;
    const cases = [
      ['JSON lists', deep('[', ']', 100_000), {}],
      ['JSON objects', deep('{"a":', '}', 100_000), {}],
      ['YAML flow lists', `name: deep\nx: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`, {}],
      ['YAML block lists', yamlBlock(70), { maxDepth: 64 }],
      ['a lower limit', deep('[', ']', 10), { maxDepth: 8 }],
    ] as const;
    for (const [what, text, options] of cases) {
      const parsed = parseGraphDocument(text, { source: 'deep.json', ...options });
      expect(parsed.graph, what).toBeUndefined();
      expect(parsed.problems, what).toEqual([
        expect.objectContaining({
          rule: 'document.max_depth',
          message: expect.stringMatching(
            /^deep\.json: lists and objects nested deeper than \d+ levels \(--max-graph-document-depth\)/,
          ),
        }),
      ]);
    }
    // At the limit it reads (and the unknown field is the only problem).
    const shallow = parseGraphDocument(deep('[', ']', 6), { maxDepth: 8 });
    expect(shallow.problems.map((p) => p.rule)).not.toContain('document.max_depth');
  });

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

  it('reads only allowlisted variables when the environment is limited, naming the variable and the setting', () => {
    const dollar = '$';
    const env = {
      values: { ADDR: '10.0.0.1:8001', SECRET: 'hunter2' },
      allowed: new Set(['ADDR']),
      allowedBy: '--graph-env-allowlist',
    };
    expect(parseGraphDocument(`name: "${dollar}{ADDR}"\nroot: x`, { env }).graph?.name).toBe('10.0.0.1:8001');
    for (const reference of ['SECRET', 'SECRET:-x', 'UNSET']) {
      const parsed = parseGraphDocument(`name: g\ndescription: "${dollar}{${reference}}"\nroot: x`, { env });
      expect(parsed.graph?.description).not.toContain('hunter2');
      expect(parsed.problems).toEqual([
        expect.objectContaining({
          rule: 'document.env_allowed',
          message: expect.stringMatching(
            /environment variable (SECRET|UNSET) may not be read by a graph sent over GraphService; allowed: ADDR \(--graph-env-allowlist\)$/,
          ),
        }),
      ]);
    }
    // A plain environment (files under --graphs) reads any variable.
    expect(parseGraphDocument(`name: "${dollar}{SECRET}"\nroot: x`, { env: env.values }).graph?.name).toBe(
      'hunter2',
    );
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
      'node "b": nodes[1].ensemble.combiner "median" is not one of mean, weighted_mean, majority_vote, concat, model',
      'node "a": "transformer" is not a node kind or field; kinds are model, sequence, switch, ensemble, splitter, shadow, detector',
    ]);
    const bad = parseGraphDocument('name: g\nnodes: [\n', { source: 'bad.yaml' });
    expect(bad.graph).toBeUndefined();
    expect(bad.problems[0]!.message).toMatch(/^bad\.yaml: invalid YAML at line \d+, column \d+/);
    expect(parseGraphDocument('{"name": ', { source: 'x.json' }).problems[0]!.message).toMatch(
      /^x\.json: invalid JSON/,
    );
  });

  // Each document's first problem names the node, the field and the rule.
  const SCHEMA_TABLE: readonly [string, string, string, string | RegExp][] = [
    [
      'two kinds on one node',
      'nodes: [{ name: a, model: { modelName: m }, sequence: { steps: [{ node: a }] } }]',
      'node.kind_one',
      'node "a": nodes[0] sets model and sequence; a node has exactly one kind',
    ],
    [
      'a word for a timeout',
      'nodes: [{ name: a, policy: { timeoutMs: fast }, model: { modelName: m } }]',
      'field.type',
      'node "a": nodes[0].policy.timeoutMs must be an integer from 0 to 4294967295 (uint32), got "fast"',
    ],
    [
      'a graph timeout in snake_case that is negative',
      'timeout_ms: -1\nnodes: []',
      'field.type',
      'test.yaml: timeout_ms must be an integer from 0 to 4294967295 (uint32), got -1',
    ],
    [
      'a fractional splitter weight',
      'nodes: [{ name: s, splitter: { branches: [{ node: a, weight: 50.5 }, { node: b, weight: 49.5 }] } }]',
      'field.type',
      'node "s": nodes[0].splitter.branches[0].weight must be an integer from 0 to 4294967295 (uint32), got 50.5',
    ],
    [
      'a negative splitter weight',
      'nodes: [{ name: s, splitter: { branches: [{ node: a, weight: 150 }, { node: b, weight: -50 }] } }]',
      'field.type',
      /nodes\[0\]\.splitter\.branches\[1\]\.weight must be an integer from 0 to 4294967295 \(uint32\), got -50/,
    ],
    [
      'a splitter weight past uint32',
      'nodes: [{ name: s, splitter: { branches: [{ node: a, weight: 4294967396 }] } }]',
      'field.type',
      /weight must be an integer from 0 to 4294967295 \(uint32\), got 4294967396$/,
    ],
    [
      'an unknown nested field',
      'nodes: [{ name: a, model: { modelName: m, adress: "x:1" } }]',
      'document.field_known',
      'node "a": nodes[0].model: "adress" is not a field here',
    ],
    [
      'a list where a string belongs',
      'nodes: [{ name: a, model: { modelName: [m] } }]',
      'field.type',
      'node "a": nodes[0].model.modelName must be a string, got a list',
    ],
  ];

  it.each(SCHEMA_TABLE)('refuses %s', (_what, body, rule, message) => {
    const parsed = parseGraphDocument(`name: g\nroot: a\n${body}\n`, { source: 'test.yaml' });
    // The graph without the offending values still encodes (ValidateGraph answers it).
    expect(() => routerV1.Graph.encode(graphToMessage(parsed.graph!)).finish()).not.toThrow();
    expect(parsed.problems.length).toBeGreaterThanOrEqual(1);
    expect(parsed.problems.every((p) => p.severity === 'error')).toBe(true);
    expect(parsed.problems[0]!.rule).toBe(rule);
    expect(parsed.problems[0]!.message).toMatch(message);
  });

  it('reads a whole-number model version as text, and refuses a fractional one', () => {
    const doc = (v: string) =>
      parseGraphDocument(
        `name: g\nroot: a\nnodes: [{ name: a, model: { modelName: m, modelVersion: ${v} } }]`,
      );
    expect(doc('1').problems).toEqual([]);
    expect(doc('1').graph!.nodes[0]!.body).toMatchObject({ modelVersion: '1' });
    expect(doc('"2"').graph!.nodes[0]!.body).toMatchObject({ modelVersion: '2' });
    expect(doc('1.10').problems[0]!.message).toBe(
      'node "a": nodes[0].model.modelVersion must be a version string such as "1", got 1.1',
    );
  });

  it('refuses a YAML alias bomb with RESOURCE_EXHAUSTED and random bytes with a sentence', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    expect(() => parseGraphDocument(levels.join('\n'))).toThrow(
      expect.objectContaining({ code: 'RESOURCE_EXHAUSTED', message: expect.stringMatching(/YAML aliases/) }),
    );
    // Deterministic "random" bytes: every result is problems, never a throw.
    let seed = 42;
    for (let i = 0; i < 50; i++) {
      const bytes = Buffer.from(
        new Uint8Array(2000).map(() => {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          return seed >> 23;
        }),
      );
      const parsed = parseGraphDocument(bytes.toString(i % 2 === 0 ? 'utf8' : 'latin1'));
      expect(parsed.graph).toBeUndefined();
      expect(parsed.problems[0]!.message).toMatch(/^document: (invalid (YAML|JSON)|not valid YAML\/JSON)/);
    }
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
