import { describe, expect, it } from 'vitest';
import { GENERATED_CONFIG_NOTICE, renderConfigYaml } from './model-config.js';

describe('renderConfigYaml', () => {
  it('writes every key in snake_case, with dynamic batching when set', () => {
    const yaml = renderConfigYaml({
      platform: 'onnx',
      maxBatchSize: 8,
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
      dynamicBatching: { maxQueueDelayUs: 50, preferredBatchSizes: [4, 8], maxQueueSize: 16 },
      instanceCount: 2,
      device: 'cpu',
      latestVersions: 1,
    });
    expect(yaml).toBe(
      [
        GENERATED_CONFIG_NOTICE,
        'platform: onnx',
        'max_batch_size: 8',
        'inputs:',
        '  - { name: x, datatype: FP32, shape: [-1, 2] }',
        'outputs:',
        '  - { name: y, datatype: FP32, shape: [-1, 1] }',
        'dynamic_batching:',
        '  max_queue_delay_us: 50',
        '  preferred_batch_sizes: [4, 8]',
        '  max_queue_size: 16',
        'instance_count: 2',
        'device: cpu',
        'version_policy: { latest: { num_versions: 1 } }',
        '',
      ].join('\n'),
    );
  });

  it('leaves dynamic_batching out when it is off', () => {
    const yaml = renderConfigYaml({
      platform: 'tfjs',
      maxBatchSize: 0,
      inputs: [],
      outputs: [],
      instanceCount: 1,
      device: 'auto',
      latestVersions: 1,
    });
    expect(yaml).not.toContain('dynamic_batching');
    expect(yaml).toContain('platform: tfjs\nmax_batch_size: 0\n');
  });
});
