import { rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '@sightline/errors';
import type { Tensor } from '@sightline/tensor';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixtureBytes, makeTempRepo, writeFiles } from '../../test/fixtures/temp-repo.js';
import { ModelRepository } from '../repository/model-repository.js';
import { createRuntimeLoader } from '../runtime/runtime-loader.js';
import { silentLogger } from './logger.js';
import { ModelManager, type ModelManagerOptions } from './model-manager.js';
import type { InferenceScheduler, SchedulerFactory } from './types.js';

/**
 * A pass-through scheduler: runs each request on the first runtime at once. The real
 * dynamic batcher is tested on its own; here it only has to record drains.
 */
function passThroughSchedulers(): { factory: SchedulerFactory; created: string[]; drained: string[] } {
  const created: string[] = [];
  const drained: string[] = [];
  const factory: SchedulerFactory = ({ name, version, runtimes }) => {
    const id = `${name}@${version}#${created.length}`;
    created.push(id);
    const scheduler: InferenceScheduler = {
      queueDepth: 0,
      async schedule(work) {
        const outputs = await runtimes[0]!.run(work.inputs, work.outputNames);
        return {
          outputs,
          timings: {
            queueNs: 0n,
            computeInputNs: 0n,
            computeInferNs: 0n,
            computeOutputNs: 0n,
            executedBatchSize: 1,
            enqueuedAtMs: 0,
            dispatchedAtMs: 0,
            computeEndedAtMs: 0,
          },
        };
      },
      async drain() {
        drained.push(id);
      },
    };
    return scheduler;
  };
  return { factory, created, drained };
}

const x: Tensor = { name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 1, 1, 1]) };

describe('ModelManager', () => {
  let base: string;
  let root: string;
  let cleanup: () => Promise<void>;
  let schedulers: ReturnType<typeof passThroughSchedulers>;
  let manager: ModelManager;
  const loadRuntime = createRuntimeLoader({ gpuDetected: false });

  function build(options: ModelManagerOptions = {}): ModelManager {
    schedulers = passThroughSchedulers();
    return new ModelManager({
      repository: new ModelRepository(root),
      loadRuntime,
      schedulerFactory: schedulers.factory,
      logger: silentLogger,
      options: { device: 'cpu', ...options },
    });
  }

  beforeEach(async () => {
    ({ base, root, cleanup } = await makeTempRepo());
    const add = await fixtureBytes('add.onnx');
    await writeFiles(root, {
      'adder/config.yaml':
        'platform: onnx\nmax_batch_size: 8\ninputs: [{ name: x, datatype: FP32, shape: [-1, 4] }]\n',
      'adder/1/model.onnx': add,
      'adder/2/model.onnx': add,
      'broken/1/model.onnx': 'garbage, not an onnx protobuf',
      'typo/config.yaml': 'platform: onnx\ninstance_cont: 2\n',
      'typo/1/model.onnx': add,
    });
    manager = build();
  });

  afterEach(async () => {
    await manager.shutdown();
    await cleanup();
  });

  it('loads every model at startup; failing ones are FAILED with a reason and the others serve', async () => {
    const result = await manager.loadAll();
    expect(result.loaded).toEqual(['adder']);
    expect(result.failed.map((f) => f.name)).toEqual(['broken', 'typo']);
    expect(await manager.index()).toEqual([
      { name: 'adder', version: '2', state: 'READY', reason: '' },
      {
        name: 'broken',
        version: '1',
        state: 'FAILED',
        // The version is named: a model may have several, and only this one is corrupt.
        reason: expect.stringMatching(
          /^model "broken" version 1: model.onnx cannot be loaded by ONNX Runtime: /,
        ),
      },
      {
        name: 'typo',
        version: '',
        state: 'FAILED',
        reason: 'models/typo/config.yaml: instance_cont: unknown key',
      },
    ]);
    expect(await manager.index(true)).toEqual([{ name: 'adder', version: '2', state: 'READY', reason: '' }]);

    const loaded = manager.resolve('adder');
    expect(loaded.version).toBe('2');
    expect(loaded.backend).toBe('onnxruntime-cpu');
    expect(loaded.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [-1, 4] }]);
    const { outputs } = await loaded.scheduler.schedule({
      inputs: new Map([['x', x]]),
      outputNames: ['y'],
      batchSize: 1,
    });
    expect(outputs.get('y')?.data).toEqual(new Float32Array([2, 3, 4, 5]));
  });

  it('answers UNAVAILABLE, not NOT_FOUND, for a model of the repository still waiting to load at start-up', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    schedulers = passThroughSchedulers();
    manager = new ModelManager({
      repository: new ModelRepository(root),
      // adder loads first and is held there, so broken and typo wait their turn.
      loadRuntime: async (config, versionDir, options) => {
        await gate;
        return loadRuntime(config, versionDir, options);
      },
      schedulerFactory: schedulers.factory,
      logger: silentLogger,
      options: { device: 'cpu' },
    });
    const loading = manager.loadAll();
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (const name of ['adder', 'typo']) {
      expect(() => manager.resolve(name)).toThrow(
        new UnavailableError(`model "${name}" is loading and not ready yet; retry shortly`),
      );
      await expect(manager.resolveServing(name)).rejects.toThrow(UnavailableError);
    }
    expect(() => manager.resolve('ghost')).toThrow(new NotFoundError('model "ghost" not found'));
    expect((await manager.index()).map((row) => `${row.name}:${row.state}`)).toEqual([
      'adder:LOADING',
      'broken:LOADING',
      'typo:LOADING',
    ]);
    release();
    await loading;
    expect(manager.resolve('adder').version).toBe('2');
  });

  it('answers UNAVAILABLE for a model in the repository that was never loaded, NOT_FOUND for one that is not there', async () => {
    await manager.load('adder');
    await expect(manager.resolveServing('typo')).rejects.toThrow(
      new UnavailableError(
        'model "typo" is in the repository but not loaded; load it with RepositoryModelLoad',
      ),
    );
    await expect(manager.resolveServing('ghost')).rejects.toThrow(
      new NotFoundError('model "ghost" not found'),
    );
    // A 2 MB name is not echoed back whole.
    const huge = 'y'.repeat(2 * 1024 * 1024);
    const error = await manager.resolveServing(huge).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as Error).message.length).toBeLessThan(200);
    expect((await manager.resolveServing('adder')).version).toBe('2');
  });

  it('forgets a model whose directory was deleted after an unload or a failed load', async () => {
    await manager.loadAll();
    await manager.unload('adder');
    await rm(path.join(root, 'adder'), { recursive: true });
    await rm(path.join(root, 'broken'), { recursive: true });
    expect((await manager.index()).map((row) => row.name)).toEqual(['typo']);
    await expect(manager.resolveServing('adder')).rejects.toThrow(NotFoundError);
  });

  it('keeps a model that still serves in the index after its directory is deleted', async () => {
    await manager.load('adder');
    await rm(path.join(root, 'adder'), { recursive: true });
    expect(await manager.index()).toContainEqual({ name: 'adder', version: '2', state: 'READY', reason: '' });
  });

  it('lists a directory whose name breaks the model name rule FAILED with the rule, not LOADING forever', async () => {
    await writeFiles(root, { 'has space/1/model.onnx': await fixtureBytes('add.onnx') });
    const result = await manager.loadAll();
    expect(result.failed.map((f) => f.name)).toContain('has space');
    expect(await manager.index()).toContainEqual({
      name: 'has space',
      version: '',
      state: 'FAILED',
      reason: expect.stringMatching(/^model directory "has space": a model name must be 1 to 128 characters/),
    });
  });

  it('refuses to start on any failure when strict', async () => {
    manager = build({ strictStartup: true });
    await expect(manager.loadAll()).rejects.toThrow(/^2 model\(s\) failed to load: broken: .*; typo: /);
  });

  it('resolve: NotFound for unknown models and versions, Unavailable for ones not READY', async () => {
    await manager.loadAll();
    expect(() => manager.resolve('nope')).toThrow(new NotFoundError('model "nope" not found'));
    expect(() => manager.resolve('adder', '7')).toThrow(
      new NotFoundError('model "adder" has no version "7"'),
    );
    expect(() => manager.resolve('adder', 'latest')).toThrow(
      new NotFoundError('model "adder" has no version "latest"'),
    );
    expect(() => manager.resolve('broken', '1')).toThrow(UnavailableError);
    expect(() => manager.resolve('broken', '1')).toThrow(
      /^model "broken" version 1 is FAILED: model "broken" version 1: model.onnx/,
    );
    expect(() => manager.resolve('typo')).toThrow(
      new UnavailableError(
        'model "typo" has no READY version (FAILED: models/typo/config.yaml: instance_cont: unknown key)',
      ),
    );
    expect(manager.resolve('adder', '2').version).toBe('2');
    expect(manager.isReady('adder')).toBe(true);
    expect(manager.isReady('adder', '1')).toBe(false);
    expect(manager.isReady('broken')).toBe(false);
  });

  it('answers metadata with the platform and READY versions', async () => {
    await manager.load('adder', JSON.stringify({ platform: 'onnx', version_policy: { all: {} } }));
    expect(manager.metadata('adder')).toEqual({
      name: 'adder',
      versions: ['1', '2'],
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [
        { name: 'y', datatype: 'FP32', shape: [-1, 4] },
        { name: 'doubled', datatype: 'FP32', shape: [-1, 4] },
      ],
      // A local version without lineage: no source URI, no lineage parameters.
      parameters: {},
    });
    expect(manager.metadata('adder', '1').versions).toEqual(['1', '2']);
  });

  it("answers a version's own lineage.yaml over the config's lineage, and refuses a bad one naming it", async () => {
    await writeFiles(root, { 'adder/2/lineage.yaml': 'code_revision: abc123\nlicense: MIT\n' });
    const config = { platform: 'onnx', version_policy: { all: {} }, lineage: { license: 'Apache-2.0' } };
    await manager.load('adder', JSON.stringify(config));
    expect(manager.metadata('adder', '1').parameters).toEqual({ 'lineage.license': 'Apache-2.0' });
    expect(manager.metadata('adder', '2').parameters).toEqual({
      'lineage.code_revision': 'abc123',
      'lineage.license': 'MIT',
    });

    await writeFiles(root, { 'adder/2/lineage.yaml': 'created_at: last tuesday\n' });
    await expect(manager.load('adder', JSON.stringify(config))).rejects.toThrow(
      'model "adder" version 2 lineage.yaml: created_at: must be an ISO 8601 date-time with a time zone',
    );
    // What served keeps serving.
    expect(manager.metadata('adder', '2').parameters['lineage.code_revision']).toBe('abc123');
  });

  it('reloads atomically: new versions serve first, then the old ones drain and go', async () => {
    await manager.load('adder', JSON.stringify({ platform: 'onnx', version_policy: { all: {} } }));
    const oldV2 = manager.resolve('adder', '2');
    // Versions load concurrently, so the creation order of their schedulers is not fixed.
    const firstLoad = [...schedulers.created];
    expect(firstLoad.map((id) => id.split('#')[0]).sort()).toEqual(['adder@1', 'adder@2']);

    await manager.load('adder');
    expect(schedulers.created).toHaveLength(3);
    expect(schedulers.created[2]).toBe('adder@2#2');
    expect([...schedulers.drained].sort()).toEqual([...firstLoad].sort());
    const newV2 = manager.resolve('adder', '2');
    expect(newV2).not.toBe(oldV2);
    expect(newV2.config.maxBatchSize).toBe(8);
    expect(() => manager.resolve('adder', '1')).toThrow(
      new UnavailableError('model "adder" version 1 is UNAVAILABLE: no longer selected by version_policy'),
    );
    // The old version's runtimes are disposed: running them fails.
    await expect(oldV2.runtimes[0]!.run(new Map([['x', x]]), ['y'])).rejects.toThrow();
  });

  it('keeps the old versions serving when a reload fails', async () => {
    await manager.load('adder');
    const serving = manager.resolve('adder');
    await writeFile(path.join(root, 'adder/2/model.onnx'), 'now corrupt');
    await expect(manager.load('adder')).rejects.toThrow(/cannot be loaded by ONNX Runtime/);
    expect(manager.resolve('adder')).toBe(serving);
    await expect(manager.load('adder', '{"platform":"onnx","bogus":1}')).rejects.toThrow(
      InvalidArgumentError,
    );
    expect(manager.resolve('adder')).toBe(serving);
    expect(await manager.index()).toContainEqual({ name: 'adder', version: '2', state: 'READY', reason: '' });
    expect(schedulers.drained).toEqual([]);
  });

  it('fails a load atomically when one of several versions fails', async () => {
    await writeFile(path.join(root, 'adder/1/model.onnx'), 'corrupt');
    await expect(manager.load('adder', '{"platform":"onnx","version_policy":{"all":{}}}')).rejects.toThrow(
      /cannot be loaded/,
    );
    expect(() => manager.resolve('adder', '2')).toThrow(
      /^model "adder" version 2 is FAILED: not served: another version failed to load \(model "adder" version 1: /,
    );
    // The version that did load was drained and disposed rather than left serving.
    expect(schedulers.drained).toEqual(schedulers.created);
  });

  it('unloads and loads again at run time', async () => {
    await manager.load('adder');
    await manager.unload('adder');
    expect(() => manager.resolve('adder')).toThrow(UnavailableError);
    expect(await manager.index()).toContainEqual({
      name: 'adder',
      version: '2',
      state: 'UNAVAILABLE',
      reason: 'unloaded',
    });
    expect(schedulers.drained).toEqual(['adder@2#0']);
    await manager.load('adder');
    expect(manager.isReady('adder', '2')).toBe(true);
    await manager.unload('typo'); // in the repository, never loaded: nothing to do
    await expect(manager.unload('ghost')).rejects.toThrow(NotFoundError);
  });

  it('serialises concurrent loads and unloads of one model in call order', async () => {
    const calls = [
      manager.load('adder'),
      manager.unload('adder'),
      manager.load('adder'),
      manager.load('adder'),
    ];
    await Promise.all(calls);
    expect(manager.isReady('adder')).toBe(true);
    expect(schedulers.created).toEqual(['adder@2#0', 'adder@2#1', 'adder@2#2']);
    expect(schedulers.drained).toEqual(['adder@2#0', 'adder@2#1']);
  });

  it('refuses unsafe names and missing models without recording them', async () => {
    await expect(manager.load('../adder')).rejects.toThrow(InvalidArgumentError);
    await expect(manager.load('ghost')).rejects.toThrow(NotFoundError);
    expect((await manager.index()).map((row) => row.name)).toEqual(['adder', 'broken', 'typo']);
  });

  it('marks a model whose directory escapes the repository FAILED with the reason', async () => {
    await writeFiles(base, { 'outside/1/model.onnx': await fixtureBytes('add.onnx') });
    await symlink(path.join(base, 'outside'), path.join(root, 'escape'));
    await expect(manager.load('escape')).rejects.toThrow(/symlinks must stay inside it/);
    expect(await manager.index()).toContainEqual({
      name: 'escape',
      version: '',
      state: 'FAILED',
      reason: expect.stringMatching(/outside the directory .*; symlinks must stay inside it$/),
    });
  });

  it('applies the instance count override', async () => {
    manager = build({ instanceCount: 2 });
    await manager.load('adder');
    expect(manager.resolve('adder').runtimes).toHaveLength(2);
    expect(manager.resolve('adder').config.instanceCount).toBe(2);
  });

  it('drains and disposes everything at shutdown, then refuses loads', async () => {
    await manager.loadAll();
    await manager.shutdown();
    expect(schedulers.drained).toEqual(['adder@2#0']);
    expect(manager.isReady('adder')).toBe(false);
    await expect(manager.load('adder')).rejects.toThrow(
      new UnavailableError('model "adder": the server is shutting down'),
    );
  });
});
