import { InvalidArgumentError } from '@sightline/errors';
import { describe, expect, it } from 'vitest';
import { DYNAMIC_BATCHING_DEFAULTS, parseModelConfig, parseModelConfigText } from './model-config.js';

const source = { modelName: 'iris', label: 'models/iris/config.yaml' };

function parseError(text: string, src: Parameters<typeof parseModelConfigText>[2] = source): string {
  try {
    parseModelConfigText(text, 'yaml', src);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as Error).message;
  }
  throw new Error('expected the config to be refused');
}

describe('intra_op_threads', () => {
  it('defaults to 0 (onnxruntime decides), takes a count, and refuses it for tfjs', () => {
    expect(parseModelConfigText('platform: onnx\n', 'yaml', source).intraOpThreads).toBe(0);
    expect(parseModelConfigText('platform: onnx\nintra_op_threads: 1\n', 'yaml', source).intraOpThreads).toBe(
      1,
    );
    expect(() => parseModelConfigText('platform: onnx\nintra_op_threads: -1\n', 'yaml', source)).toThrow(
      /intra_op_threads: must be a non-negative integer/,
    );
    const tfjs =
      'platform: tfjs\ninputs: [{name: x, datatype: FP32, shape: [1]}]\noutputs: [{name: y, datatype: FP32, shape: [1]}]\n';
    expect(() => parseModelConfigText(`${tfjs}intra_op_threads: 1\n`, 'yaml', source)).toThrow(
      /intra_op_threads: applies to platform onnx only/,
    );
  });
});

describe('execution_mode', () => {
  it('defaults to a worker for onnx and inline for tfjs, and takes an explicit choice', () => {
    expect(parseModelConfigText('platform: onnx\n', 'yaml', source).executionMode).toBe('worker');
    expect(
      parseModelConfigText('platform: onnx\nexecution_mode: inline\n', 'yaml', source).executionMode,
    ).toBe('inline');
    const tfjs =
      'platform: tfjs\ninputs: [{name: x, datatype: FP32, shape: [1]}]\noutputs: [{name: y, datatype: FP32, shape: [1]}]\n';
    expect(parseModelConfigText(tfjs, 'yaml', source).executionMode).toBe('inline');
    expect(() => parseModelConfigText(`${tfjs}execution_mode: worker\n`, 'yaml', source)).toThrow(
      /execution_mode: worker is supported for platform onnx only/,
    );
    expect(() => parseModelConfigText('platform: onnx\nexecution_mode: thread\n', 'yaml', source)).toThrow(
      /execution_mode: must be one of auto, inline, worker/,
    );
  });
});

describe('parseModelConfigText', () => {
  it('writes out every default', () => {
    const config = parseModelConfigText('platform: onnx\n', 'yaml', source);
    expect(config).toEqual({
      name: 'iris',
      platform: 'onnx',
      maxBatchSize: 0,
      inputs: undefined,
      outputs: undefined,
      dynamicBatching: undefined,
      instanceCount: 1,
      device: 'auto',
      executionMode: 'worker',
      intraOpThreads: 0,
      versionPolicy: { kind: 'latest', numVersions: 1 },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.versionPolicy)).toBe(true);
  });

  it('resolves the documented example into camelCase with units', () => {
    const config = parseModelConfigText(
      `
platform: onnx
max_batch_size: 64
inputs:  [{ name: input, datatype: FP32, shape: [-1, 4] }]
outputs: [{ name: probabilities, datatype: FP32, shape: [-1, 3] }]
dynamic_batching: { max_queue_delay_us: 500, preferred_batch_sizes: [32, 16], max_queue_size: 2048 }
instance_count: 2
device: cpu
version_policy: { specific: { versions: [3, 1] } }
`,
      'yaml',
      source,
    );
    expect(config.maxBatchSize).toBe(64);
    expect(config.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
    expect(config.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }]);
    expect(config.dynamicBatching).toEqual({
      maxQueueDelayUs: 500,
      preferredBatchSizes: [16, 32],
      maxQueueSize: 2048,
    });
    expect(config.instanceCount).toBe(2);
    expect(config.device).toBe('cpu');
    expect(config.versionPolicy).toEqual({ kind: 'specific', versions: [1, 3] });
    expect(Object.isFrozen(config.inputs![0]!.shape)).toBe(true);
  });

  it('fills dynamic_batching defaults when the key is present but empty or bare', () => {
    for (const text of [
      'max_batch_size: 8\ndynamic_batching: {}\n',
      'max_batch_size: 8\ndynamic_batching:\n',
    ]) {
      const config = parseModelConfigText(`platform: onnx\n${text}`, 'yaml', source);
      expect(config.dynamicBatching).toEqual(DYNAMIC_BATCHING_DEFAULTS);
      expect(config.dynamicBatching).toEqual({
        maxQueueDelayUs: 100,
        preferredBatchSizes: [],
        maxQueueSize: 1024,
      });
    }
  });

  it('reads the all and latest version policies', () => {
    expect(
      parseModelConfigText('platform: onnx\nversion_policy: { all: {} }', 'yaml', source).versionPolicy,
    ).toEqual({
      kind: 'all',
    });
    expect(
      parseModelConfigText('platform: onnx\nversion_policy: { latest: { num_versions: 3 } }', 'yaml', source)
        .versionPolicy,
    ).toEqual({ kind: 'latest', numVersions: 3 });
  });

  it('infers the platform from the files, and an empty file means all defaults', () => {
    expect(parseModelConfigText('', 'yaml', { ...source, inferredPlatform: 'onnx' }).platform).toBe('onnx');
    expect(parseError('')).toBe(
      'models/iris/config.yaml: platform: is required (no version directory holds a model.onnx or model.json to infer it from)',
    );
  });

  it('parses JSON with the same keys', () => {
    const config = parseModelConfigText('{"platform":"tfjs","inputs":[],"outputs":[]}', 'json', source);
    expect(config.platform).toBe('tfjs');
  });

  it('refuses unknown keys at every level, naming the path', () => {
    const message = parseError(
      'platform: onnx\nmax_batch_sizee: 4\nmax_batch_size: 4\ndynamic_batching: { max_queue_delay: 5 }\ninputs: [{ name: a, datatype: FP32, shape: [-1], dims: [1] }]\n',
    );
    expect(message).toContain('models/iris/config.yaml: max_batch_sizee: unknown key');
    expect(message).toContain('models/iris/config.yaml: dynamic_batching.max_queue_delay: unknown key');
    expect(message).toContain('models/iris/config.yaml: inputs[0].dims: unknown key');
  });

  it('lists every problem with its key path in one error', () => {
    const message = parseError(
      `
platform: pytorch
max_batch_size: -2
instance_count: 0
device: tpu
inputs: [{ name: input, datatype: FP33, shape: [-1, 0.5] }]
dynamic_batching: { max_queue_size: 0, max_queue_delay_us: -1, preferred_batch_sizes: [0] }
version_policy: { latest: { num_versions: 0 } }
`,
    );
    expect(message.split('\n')).toEqual(
      expect.arrayContaining([
        'models/iris/config.yaml: platform: must be one of onnx, tfjs',
        'models/iris/config.yaml: max_batch_size: must be a non-negative integer',
        'models/iris/config.yaml: instance_count: must be a positive integer',
        'models/iris/config.yaml: device: must be one of auto, cpu, gpu',
        expect.stringMatching(
          /^models\/iris\/config\.yaml: inputs\[0\]\.datatype: must be one of BOOL, .*BYTES$/,
        ),
        'models/iris/config.yaml: inputs[0].shape[1]: must be -1 (variable) or a positive integer',
        'models/iris/config.yaml: dynamic_batching.max_queue_size: must be a positive integer',
        'models/iris/config.yaml: dynamic_batching.max_queue_delay_us: must be a non-negative integer',
        'models/iris/config.yaml: dynamic_batching.preferred_batch_sizes[0]: must be a positive integer',
        'models/iris/config.yaml: version_policy.latest.num_versions: must be a positive integer',
      ]),
    );
  });

  it('refuses dynamic batching without a batch dimension', () => {
    expect(parseError('platform: onnx\ndynamic_batching: {}\n')).toBe(
      'models/iris/config.yaml: dynamic_batching: needs max_batch_size > 0 (the model has no batch dimension)',
    );
  });

  it('refuses preferred batch sizes above max_batch_size', () => {
    expect(
      parseError(
        'platform: onnx\nmax_batch_size: 16\ndynamic_batching: { preferred_batch_sizes: [8, 32] }\n',
      ),
    ).toBe(
      'models/iris/config.yaml: dynamic_batching.preferred_batch_sizes[1]: must be at most max_batch_size (16), got 32',
    );
  });

  it('checks cross-key rules: tfjs signatures, batch dimension, duplicates, name, versions', () => {
    const message = parseError(
      `
name: setosa
platform: tfjs
max_batch_size: 4
inputs: [{ name: a, datatype: FP32, shape: [4] }, { name: a, datatype: FP32, shape: [-1] }]
version_policy: { specific: { versions: [1, 1] } }
`,
    );
    expect(message.split('\n')).toEqual([
      'models/iris/config.yaml: name: must match the model directory name "iris", got "setosa"',
      'models/iris/config.yaml: outputs: is required for platform tfjs',
      'models/iris/config.yaml: inputs[0].shape: must start with -1 (the batch dimension) when max_batch_size > 0',
      'models/iris/config.yaml: inputs[1].name: duplicate name "a"',
      'models/iris/config.yaml: version_policy.specific.versions: must not repeat a version',
    ]);
  });

  it('needs exactly one version policy kind', () => {
    expect(parseError('platform: onnx\nversion_policy: { all: {}, latest: { num_versions: 1 } }\n')).toBe(
      'models/iris/config.yaml: version_policy: must hold exactly one of latest, all, specific',
    );
  });

  it('reports malformed YAML and JSON with the file name', () => {
    expect(parseError('platform: [onnx\n')).toMatch(/^models\/iris\/config\.yaml: not valid YAML: /);
    expect(() => parseModelConfigText('{', 'json', source)).toThrow(
      /^models\/iris\/config\.yaml: not valid JSON: /,
    );
  });

  it('refuses a config that is not a mapping', () => {
    expect(() => parseModelConfig([1, 2], source)).toThrow(InvalidArgumentError);
  });
});

describe('lineage', () => {
  const lineage = [
    'platform: onnx',
    'lineage:',
    '  training_data:',
    `    hash: sha256:${'ab'.repeat(32)}`,
    '    location: s3://data/iris/2026-01.csv',
    '  code_revision: 4f2c9e1',
    '  created_by: ml-team@example.com',
    '  created_at: 2026-01-31T12:00:00Z',
    '  license: Apache-2.0',
    '  intended_use: classify iris flowers; not for medical use',
    '',
  ].join('\n');

  it('is flattened to dotted keys, in order', () => {
    expect(parseModelConfigText(lineage, 'yaml', source).lineage).toEqual({
      code_revision: '4f2c9e1',
      created_at: '2026-01-31T12:00:00Z',
      created_by: 'ml-team@example.com',
      intended_use: 'classify iris flowers; not for medical use',
      license: 'Apache-2.0',
      'training_data.hash': `sha256:${'ab'.repeat(32)}`,
      'training_data.location': 's3://data/iris/2026-01.csv',
    });
    expect(parseModelConfigText('platform: onnx\n', 'yaml', source).lineage).toBeUndefined();
  });

  it.each([
    [
      'training_data: {hash: abc}',
      /lineage\.training_data\.hash: must be <algorithm>:<lowercase hex digest>/,
    ],
    ['training_data: {location: data.csv}', /lineage\.training_data\.location: must be a URI/],
    ['created_at: yesterday', /lineage\.created_at: must be an ISO 8601 date-time with a time zone/],
    ['created_at: 2026-01-31T12:00:00', /lineage\.created_at: must be an ISO 8601/],
    ['license: ""', /lineage\.license: must not be empty/],
    ['owner: me', /lineage\.owner: unknown key/],
  ])('refuses %s naming the key and the rule', (entry, rule) => {
    expect(parseError(`platform: onnx\nlineage: {${entry}}\n`)).toMatch(rule);
  });
});
