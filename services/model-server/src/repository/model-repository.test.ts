import { mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError, quoteName } from '@sightline/errors';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBytes, makeTempRepo, writeFiles } from '../../test/fixtures/temp-repo.js';
import { MODEL_NAME_MAX_LENGTH, MODEL_NAME_RULE } from './model-name.js';
import { ModelRepository } from './model-repository.js';

describe('ModelRepository', () => {
  let base: string;
  let root: string;
  let cleanup: () => Promise<void>;
  let repository: ModelRepository;

  beforeEach(async () => {
    ({ base, root, cleanup } = await makeTempRepo());
    repository = new ModelRepository(root);
    const onnx = await fixtureBytes('add.onnx');
    await writeFiles(root, {
      'adder/config.yaml': 'max_batch_size: 8\n',
      'adder/1/model.onnx': onnx,
      'adder/2/model.onnx': onnx,
      'adder/10/model.onnx': onnx,
      'adder/01/model.onnx': onnx, // leading zero: not a version
      'adder/latest/model.onnx': onnx,
      'adder/3': 'a file, not a directory',
      'jsonmodel/config.json': '{"platform":"onnx","instance_count":2}',
      'ymlmodel/config.yml': 'platform: onnx\n',
      'ymlmodel/1/model.onnx': onnx,
      'noconfig/1/model.onnx': onnx,
      'twoconfigs/config.yaml': 'platform: onnx\n',
      'twoconfigs/config.json': '{}',
      'tfjsmodel/1/model.json': '{}',
      '.hidden/1/model.onnx': onnx,
      'README.md': 'not a model',
    });
  });

  afterEach(() => cleanup());

  it('lists model directories only', async () => {
    expect(await repository.listModelNames()).toEqual([
      'adder',
      'jsonmodel',
      'noconfig',
      'tfjsmodel',
      'twoconfigs',
      'ymlmodel',
    ]);
  });

  it('lists positive integer version directories, ascending', async () => {
    expect(await repository.listVersions('adder')).toEqual([1, 2, 10]);
  });

  it('reads yaml, yml and json configs, and infers the platform without one', async () => {
    expect((await repository.readConfig('adder')).maxBatchSize).toBe(8);
    expect((await repository.readConfig('adder')).platform).toBe('onnx');
    expect((await repository.readConfig('jsonmodel')).instanceCount).toBe(2);
    expect((await repository.readConfig('ymlmodel')).platform).toBe('onnx');
    expect((await repository.readConfig('noconfig')).platform).toBe('onnx');
    await expect(repository.readConfig('tfjsmodel')).rejects.toThrow(
      'model "tfjsmodel" (no config file): inputs: is required for platform tfjs',
    );
  });

  it('refuses two config files', async () => {
    await expect(repository.readConfig('twoconfigs')).rejects.toThrow(
      'model "twoconfigs": more than one config file (config.yaml, config.json); keep exactly one',
    );
  });

  it('uses an override config instead of the file, validated the same way', async () => {
    const config = await repository.readConfig('adder', '{"version_policy":{"all":{}}}');
    expect(config.versionPolicy).toEqual({ kind: 'all' });
    expect(config.maxBatchSize).toBe(0);
    await expect(repository.readConfig('adder', '{"max_batch_size":"x"}')).rejects.toThrow(
      'config override for model "adder": max_batch_size: must be a non-negative integer',
    );
  });

  it('applies the version policy', async () => {
    const config = await repository.readConfig('adder');
    const available = await repository.listVersions('adder');
    expect(repository.versionsToServe(config, available)).toEqual([10]);
    expect(
      repository.versionsToServe({ ...config, versionPolicy: { kind: 'latest', numVersions: 2 } }, available),
    ).toEqual([2, 10]);
    expect(repository.versionsToServe({ ...config, versionPolicy: { kind: 'all' } }, available)).toEqual([
      1, 2, 10,
    ]);
    expect(
      repository.versionsToServe(
        { ...config, versionPolicy: { kind: 'specific', versions: [2, 1] } },
        available,
      ),
    ).toEqual([1, 2]);
    expect(() =>
      repository.versionsToServe(
        { ...config, versionPolicy: { kind: 'specific', versions: [1, 5] } },
        available,
      ),
    ).toThrow(
      new NotFoundError(
        'model "adder": version_policy.specific lists version 5, not found on disk (present: 1, 2, 10)',
      ),
    );
    expect(() => repository.versionsToServe(config, [])).toThrow(NotFoundError);
  });

  it('gives model paths inside the repository', async () => {
    expect(await repository.modelPath('adder', 2, 'onnx')).toBe(
      path.join(await realRoot(root), 'adder/2/model.onnx'),
    );
    await expect(repository.modelPath('adder', 2, 'tfjs')).rejects.toThrow(NotFoundError);
    await expect(repository.modelPath('adder', 7, 'onnx')).rejects.toThrow(NotFoundError);
  });

  it.each([
    ['../models/adder', 'it starts with "."'],
    ['..', 'it starts with "."'],
    ['a/b', 'it holds other characters'],
    ['a\\b', 'it holds other characters'],
    ['/etc', 'it holds other characters'],
    ['C:x', 'it holds other characters'],
    ['.hidden', 'it starts with "."'],
    ['a\0b', 'it holds other characters'],
    ['', 'it is empty'],
    ['y'.repeat(129), 'it is 129 characters long'],
  ])('refuses the model name %j, naming the field and the rule', async (name, problem) => {
    const error = await repository.readConfig(name).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe(
      `model_name ${quoteName(name)}: must be ${MODEL_NAME_RULE}; ${problem}`,
    );
  });

  it('accepts names up to the limit with every allowed character', async () => {
    const name = `A-z_0.${'y'.repeat(MODEL_NAME_MAX_LENGTH - 6)}`;
    await expect(repository.readConfig(name)).rejects.toThrow(
      new NotFoundError(`model "${name}" not found in the repository`),
    );
  });

  it('answers a symlink loop with InvalidArgumentError naming the model, no absolute path', async () => {
    await symlink(path.join(root, 'loop'), path.join(root, 'loop'));
    const error = await repository.readConfig('loop').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe('model "loop": loop is a symlink loop');
  });

  it('labels a config problem of a model without a config file without naming a file', async () => {
    await mkdir(path.join(root, 'empty'));
    const error = await repository.readConfig('empty').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe(
      'model "empty" (no config file): platform: is required (no version directory holds a model.onnx or model.json to infer it from)',
    );
    expect((error as Error).message).not.toMatch(/config\.yaml/);
  });

  it('answers NotFoundError for a missing model', async () => {
    await expect(repository.readConfig('nope')).rejects.toThrow(
      new NotFoundError('model "nope" not found in the repository'),
    );
    await expect(repository.listVersions('nope')).rejects.toThrow(NotFoundError);
  });

  it('refuses a symlinked model directory that points outside the repository', async () => {
    await writeFiles(base, { 'outside/1/model.onnx': await fixtureBytes('add.onnx') });
    await symlink(path.join(base, 'outside'), path.join(root, 'escape'));
    expect(await repository.listModelNames()).toContain('escape');
    const error = await repository.readConfig('escape').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toBe(
      'model "escape": escape resolves outside the directory it belongs to; symlinks must stay inside it',
    );
    expect((error as Error).message).not.toContain(base);
  });

  it('refuses a symlinked model file or version directory that points outside', async () => {
    await writeFiles(base, { 'stolen.onnx': await fixtureBytes('add.onnx'), 'v/model.onnx': 'x' });
    await mkdir(path.join(root, 'sneaky/1'), { recursive: true });
    await symlink(path.join(base, 'stolen.onnx'), path.join(root, 'sneaky/1/model.onnx'));
    await symlink(path.join(base, 'v'), path.join(root, 'sneaky/2'));
    await expect(repository.modelPath('sneaky', 1, 'onnx')).rejects.toThrow(/symlinks must stay inside it/);
    await expect(repository.modelPath('sneaky', 2, 'onnx')).rejects.toThrow(/symlinks must stay inside it/);
  });

  it('follows symlinks that stay inside the repository', async () => {
    await symlink(path.join(root, 'adder'), path.join(root, 'alias'));
    expect((await repository.readConfig('alias')).maxBatchSize).toBe(8);
    expect(await repository.modelPath('alias', 1, 'onnx')).toBe(
      path.join(await realRoot(root), 'adder/1/model.onnx'),
    );
  });

  it('reports a missing repository as NotFoundError', async () => {
    await expect(new ModelRepository(path.join(base, 'absent')).listModelNames()).rejects.toThrow(
      NotFoundError,
    );
  });
});

async function realRoot(root: string): Promise<string> {
  const { realpath } = await import('node:fs/promises');
  return realpath(root);
}
