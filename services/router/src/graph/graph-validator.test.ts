import { describe, expect, it } from 'vitest';
import { parseGraphDocument } from '../contract/graph-document.js';
import type { GraphSpec, NodeBody } from './graph-spec.js';
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

  it('refuses a graph timeout_ms over 2^31 - 1 ms, which gRPC servers read as a deadline already passed', () => {
    const withTimeout = (ms: number) =>
      validateGraph(
        parse(`
name: budget
timeoutMs: ${ms}
root: m
nodes:
  - name: m
    model: { modelName: m }
`),
      );
    expect(withTimeout(2_147_483_647)).toEqual([]);
    const problems = withTimeout(2_147_483_648);
    expect(problems.map((p) => `${p.field}:${p.rule}`)).toEqual(['timeout_ms:graph.timeout_range']);
    expect(problems[0]!.message).toContain('timeout_ms 2147483648 is above 2147483647');
  });

  it('accepts the gRPC target forms grpc-js resolves and refuses ports past 65535 and URL schemes', () => {
    const withAddress = (address: string) =>
      validateGraph(
        parse(
          `name: t\nroot: m\nnodes: [{ name: m, model: { address: ${JSON.stringify(address)}, modelName: m } }]\n`,
        ),
      ).filter((p) => p.severity === 'error');
    const accepted = [
      '127.0.0.1:8001',
      'model-server:8001',
      'localhost:8001',
      '[::1]:8001',
      'dns:///model-server-headless:8001',
      'dns:model-server:8001',
      'dns://8.8.8.8/model-server:8001',
      'ipv4:127.0.0.1:8001',
      'ipv4:///127.0.0.1:8001',
      'ipv4:10.0.0.1:8001,10.0.0.2:8001',
      'ipv6:[::1]:8001',
      'ipv6:///[::1]:8001,[fe80::1]:8002',
      'unix:/run/model-server.sock',
      'unix:///run/model-server.sock',
      'unix-abstract:model-server',
    ];
    for (const address of accepted) expect(withAddress(address), address).toEqual([]);
    const refused = {
      '127.0.0.1:99999': 'port "99999" is not 1-65535',
      '127.0.0.1:0': 'port "0" is not 1-65535',
      'http://127.0.0.1:8001': 'the scheme "http" is no gRPC target grpc-js resolves',
      'ipv4:127.0.0.1:8001,model-server:8001': '"model-server" is not an IPv4 address',
      'ipv6:::1': '"::1": an IPv6 address is written [address]:port',
      'dns:///model-server': '"model-server" has no port',
      'model-server': '"model-server" has no port',
      'unix:': 'unix: needs a path',
    };
    for (const [address, why] of Object.entries(refused)) {
      expect(withAddress(address), address).toEqual([
        expect.objectContaining({
          rule: 'model.address_format',
          message: `node "m": model.address "${address}" is not a gRPC target: ${why}; write host:port, dns:///host:port, ipv4:1.2.3.4:port[,...], ipv6:[::1]:port[,...] or unix:/path`,
        }),
      ]);
    }
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

  /** A graph of one node `a` with `body`, plus two model nodes `x` and `y` it may refer to. */
  function withNode(body: NodeBody, name = 'g'): GraphSpec {
    const model = (modelName: string): NodeBody => ({
      kind: 'model',
      address: '',
      modelName,
      modelVersion: '',
      outputs: [],
      parameters: {},
      declaredInputs: [],
      declaredOutputs: [],
    });
    return {
      name,
      description: '',
      root: 'a',
      timeoutMs: 0,
      defaults: {},
      labels: {},
      nodes: [
        { name: 'a', policy: {}, body },
        { name: 'x', policy: {}, body: model('x') },
        { name: 'y', policy: {}, body: model('y') },
      ],
    };
  }
  const splitter = (...weights: number[]): NodeBody => ({
    kind: 'splitter',
    branches: weights.map((weight, i) => ({ node: i % 2 === 0 ? 'x' : 'y', weight })),
  });
  const matches = (pattern: string): NodeBody => ({
    kind: 'switch',
    cases: [
      { node: 'x', condition: { subject: { header: 'x-re' }, operator: 'matches', values: [pattern] } },
    ],
    defaultNode: 'y',
  });
  const detector = (address: string, mode: 'sync' | 'async'): NodeBody => ({
    kind: 'detector',
    detectorKind: 'outlier',
    address,
    detector: 'od',
    mode,
    addVerdictToResponse: false,
    tensors: [],
  });
  const addresses = { outlier: '', drift: '127.0.0.1:8003' };

  // [what, graph, the rules of its errors (empty: valid), the field of the first]
  const TABLE: readonly [string, GraphSpec, readonly string[], string?][] = [
    [
      'weights 150 and -50',
      withNode(splitter(150, -50)),
      ['splitter.weight_range', 'splitter.weight_range'],
      'nodes[0].splitter.branches[0].weight',
    ],
    [
      'weights 50.5 and 49.5',
      withNode(splitter(50.5, 49.5)),
      ['splitter.weight_range', 'splitter.weight_range'],
    ],
    [
      'a weight past uint32',
      withNode(splitter(4294967396)),
      ['splitter.weight_range', 'splitter.weights_sum'],
    ],
    [
      'weights 150 and 4294967246 (uint32 -50)',
      withNode(splitter(150, 4294967246)),
      ['splitter.weight_range', 'splitter.weight_range', 'splitter.weights_sum'],
    ],
    ['weights 0 and 100', withNode(splitter(0, 100)), []],
    [
      'a backreference',
      withNode(matches('(a)\\1')),
      ['condition.regex_valid'],
      'nodes[0].switch.cases[0].condition.values[0]',
    ],
    ['a lookahead', withNode(matches('^(?=a)a$')), ['condition.regex_valid']],
    ['a nested quantifier (linear in RE2)', withNode(matches('^(a+)+$')), []],
    ['graph name iris.v2', withNode(splitter(100), 'iris.v2'), []],
    ['graph name iris_v2', withNode(splitter(100), 'iris_v2'), []],
    ['graph name Iris', withNode(splitter(100), 'Iris'), ['name.format'], 'name'],
    ['graph name .iris', withNode(splitter(100), '.iris'), ['name.format']],
    ['graph name iris/v2', withNode(splitter(100), 'iris/v2'), ['name.format']],
    [
      'an async detector with no address anywhere',
      withNode(detector('', 'async')),
      ['detector.address_set'],
      'nodes[0].detector.address',
    ],
    ['a sync detector with no address anywhere', withNode(detector('', 'sync')), ['detector.address_set']],
    ['a detector with its own address', withNode(detector('127.0.0.1:8002', 'async')), []],
  ];

  it.each(TABLE)('%s', (_what, graph, rules, field) => {
    const problems = validateGraph(graph, { maxNodes: 256, detectorAddresses: addresses }).filter(
      (p) => p.severity === 'error',
    );
    expect(problems.map((p) => p.rule)).toEqual(rules);
    if (field !== undefined) expect(problems[0]!.field).toBe(field);
    for (const p of problems) expect(p.message).toMatch(p.node ? /^node "a": / : /^graph name/);
  });

  it('refuses a model node with no address only when the router has no default model-server', () => {
    const graph = withNode(splitter(100));
    const rules = (defaultModelAddress: string) =>
      validateGraph(graph, { maxNodes: 256, defaultModelAddress })
        .filter((p) => p.severity === 'error')
        .map((p) => `${p.node}:${p.rule}`);
    expect(rules('127.0.0.1:8001')).toEqual([]);
    expect(rules('')).toEqual(['x:model.address_set', 'y:model.address_set']);
  });

  it('refuses a detector with no address only when the router has no default for its kind', () => {
    const graph = withNode({ ...detector('', 'async'), detectorKind: 'drift' } as NodeBody);
    expect(isValid(validateGraph(graph, { maxNodes: 256, detectorAddresses: addresses }))).toBe(true);
    expect(
      validateGraph(graph, { maxNodes: 256, detectorAddresses: { outlier: 'o:1', drift: '' } })[0],
    ).toMatchObject({
      rule: 'detector.address_set',
      message: 'node "a": detector.address is empty and the router has no --drift-address; set one of them',
    });
  });
});
