import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DYNAMIC_BATCHING_YAML,
  rewriteYamlConfig,
  writeBatchingVariant,
} from './batching-repository.js';

const WITH_BATCHING = `platform: onnx
max_batch_size: 8
dynamic_batching:
  max_queue_delay_microseconds: 250

  preferred_batch_size: [4, 8]
instance_count: 1
`;

describe('rewriteYamlConfig', () => {
  it('keeps the example block and sets max_batch_size when batching is on', () => {
    expect(rewriteYamlConfig(WITH_BATCHING, true)).toBe(
      'platform: onnx\ninstance_count: 1\nmax_batch_size: 64\n' +
        'dynamic_batching:\n  max_queue_delay_microseconds: 250\n\n  preferred_batch_size: [4, 8]\n',
    );
  });

  it('removes the whole block when batching is off', () => {
    expect(rewriteYamlConfig(WITH_BATCHING, false)).toBe(
      'platform: onnx\ninstance_count: 1\nmax_batch_size: 64\n',
    );
  });

  it('adds a default block when the example has none', () => {
    expect(rewriteYamlConfig('platform: onnx\n', true)).toBe(
      `platform: onnx\nmax_batch_size: 64\n${DEFAULT_DYNAMIC_BATCHING_YAML}`,
    );
  });
});

describe('writeBatchingVariant', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('copies the model folder with its versions and rewrites a JSON config', () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-variant-'));
    const source = join(dir, 'src', 'convnet');
    mkdirSync(join(source, '1'), { recursive: true });
    writeFileSync(join(source, '1', 'model.onnx'), 'bytes');
    writeFileSync(join(source, 'config.json'), JSON.stringify({ platform: 'onnx', dynamic_batching: {} }));
    const target = writeBatchingVariant(source, join(dir, 'repo'), 'convnet', false);
    expect(readFileSync(join(target, '1', 'model.onnx'), 'utf8')).toBe('bytes');
    expect(JSON.parse(readFileSync(join(target, 'config.json'), 'utf8'))).toEqual({
      platform: 'onnx',
      max_batch_size: 64,
    });
  });

  it('refuses a model folder without a config', () => {
    dir = mkdtempSync(join(tmpdir(), 'bench-variant-'));
    mkdirSync(join(dir, 'm'));
    expect(() => writeBatchingVariant(join(dir!, 'm'), join(dir!, 'repo'), 'm', true)).toThrow(
      /no config.yaml or config.json/,
    );
  });
});
