/**
 * The Triton repository extension over gRPC: the index with each model's state, loads and
 * unloads at runtime (with a config override), and the repository's safety rules: names
 * and symlinks that leave the repository are refused, a corrupt model fails alone.
 */
import { cp, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { decodeInferOutputs, encodeInferInputs, type Tensor } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';
import { IRIS_ROWS, irisFeatures, referenceProbabilities } from './helpers/iris.js';
import { createTempRepository, EXAMPLE_MODELS, type TempRepository } from './helpers/temp-repository.js';
import { expectStatus } from './helpers/v2-client.js';

const irisRows = (rows: number): Tensor => ({
  name: 'input',
  datatype: 'FP32',
  shape: [rows, 4],
  data: irisFeatures(Array.from({ length: rows }, (_, i) => IRIS_ROWS[i % IRIS_ROWS.length]!)),
});

describe('model repository over gRPC', () => {
  let repo: TempRepository;
  let h: InProcessServer;
  let reference: Float32Array;
  let elsewhere: TempRepository;

  /** Asserts iris still answers with the reference probabilities. */
  async function expectIrisServes(): Promise<void> {
    const response = await h.client.modelInfer({
      modelName: 'iris',
      ...encodeInferInputs([irisRows(IRIS_ROWS.length)], 'raw'),
    });
    expect(decodeInferOutputs(response)[0]?.data).toEqual(reference);
  }

  beforeAll(async () => {
    // A good model outside the repository, reachable only through a symlink inside it.
    elsewhere = await createTempRepository({ iris: { example: 'iris' } });
    repo = await createTempRepository({
      iris: { example: 'iris' },
      // A model.onnx that is not an ONNX file at all.
      broken: { files: { '1/model.onnx': 'this is not a protobuf-encoded ONNX model\n' } },
      escape: { symlinkTo: path.join(elsewhere.root, 'iris') },
    });
    h = await startInProcessServer(repo.root);
    reference = await referenceProbabilities();
  });

  afterAll(async () => {
    await h?.stop();
    await repo?.cleanup();
    await elsewhere?.cleanup();
  });

  it('reports a corrupt model FAILED with its reason while the others serve', async () => {
    const index = await h.client.repositoryIndex();
    const broken = index.models.filter((m) => m.name === 'broken');
    expect(broken).toHaveLength(1);
    expect(broken[0]?.state).toBe('FAILED');
    expect(broken[0]?.reason).toMatch(
      /model "broken" version 1: model\.onnx cannot be loaded by ONNX Runtime: .*protobuf parsing failed/,
    );
    expect(index.models.find((m) => m.name === 'iris')).toMatchObject({
      version: '1',
      state: 'READY',
      reason: '',
    });
    expect((await h.client.repositoryIndex(true)).models.map((m) => m.name)).toEqual(['iris']);
    expect((await h.client.modelReady('broken')).ready).toBe(false);
    await expectIrisServes();

    // Loading it again fails again, with the reason, and changes nothing else.
    await expectStatus(
      h.client.repositoryModelLoad('broken'),
      status.INVALID_ARGUMENT,
      /model "broken" version 1: model\.onnx cannot be loaded/,
    );
    await expectIrisServes();
  });

  it('refuses a symlinked model directory that leaves the repository', async () => {
    const index = await h.client.repositoryIndex();
    const linked = index.models.find((m) => m.name === 'escape');
    expect(linked?.state).toBe('FAILED');
    expect(linked?.reason).toMatch(/outside the directory/);
    await expectStatus(
      h.client.repositoryModelLoad('escape'),
      status.INVALID_ARGUMENT,
      /model "escape".*outside the directory.*symlinks must stay inside it/,
    );
    expect((await h.client.modelReady('escape')).ready).toBe(false);
    await expectIrisServes();
  });

  it.each([
    ['../x', /model_name "\.\.\/x": must be 1 to 128 characters .*; it starts with "\."/],
    ['/etc', /model_name "\/etc": must be .*; it holds other characters/],
    ['a/b', /model_name "a\/b": must be .*; it holds other characters/],
    ['..', /model_name "\.\.": must be .*; it starts with "\."/],
  ])('refuses RepositoryModelLoad of %j naming the rule', async (name, rule) => {
    await expectStatus(h.client.repositoryModelLoad(name), status.INVALID_ARGUMENT, rule);
    await expectStatus(h.client.repositoryModelUnload(name), status.INVALID_ARGUMENT, rule);
    await expectIrisServes();
  });

  it('refuses a 256-character and a 30 MB model name with INVALID_ARGUMENT, stores nothing, echoes no megabytes', async () => {
    const before = await h.client.repositoryIndex();
    await expectStatus(
      h.client.repositoryModelLoad('y'.repeat(256)),
      status.INVALID_ARGUMENT,
      /^model_name "y{64}"\.\.\. \(256 characters\): must be 1 to 128 characters .*; it is 256 characters long$/,
    );
    const huge = await expectStatus(
      h.client.repositoryModelLoad('y'.repeat(30 * 1024 * 1024)),
      status.INVALID_ARGUMENT,
      /^model_name "y{64}"\.\.\. \(31457280 characters\)/,
    );
    expect(huge.details.length).toBeLessThan(300);
    expect(await h.client.repositoryIndex()).toEqual(before);
    await expectIrisServes();
  });

  it('answers a symlink loop in the repository with INVALID_ARGUMENT naming the model and no absolute path', async () => {
    await symlink(path.join(repo.root, 'loop'), path.join(repo.root, 'loop'));
    const error = await expectStatus(
      h.client.repositoryModelLoad('loop'),
      status.INVALID_ARGUMENT,
      /^model "loop": loop is a symlink loop$/,
    );
    expect(error.details).not.toContain(repo.base);
    const row = (await h.client.repositoryIndex()).models.find((m) => m.name === 'loop');
    expect(row).toMatchObject({ state: 'FAILED', reason: 'model "loop": loop is a symlink loop' });
    for (const m of (await h.client.repositoryIndex()).models) expect(m.reason).not.toContain(repo.base);
    await rm(path.join(repo.root, 'loop'));
    expect((await h.client.repositoryIndex()).models.map((m) => m.name)).not.toContain('loop');
    await expectIrisServes();
  });

  it('answers ModelInfer with a 2 MB model name NOT_FOUND without echoing the name', async () => {
    const error = await expectStatus(
      h.client.modelInfer({
        modelName: 'y'.repeat(2 * 1024 * 1024),
        ...encodeInferInputs([irisRows(1)], 'raw'),
      }),
      status.NOT_FOUND,
      /^model "y{64}"\.\.\. \(2097152 characters\) not found$/,
    );
    expect(error.details.length).toBeLessThan(200);
  });

  it('answers UNAVAILABLE for a model added to the repository after start and never loaded, then serves it once loaded', async () => {
    await cp(path.join(EXAMPLE_MODELS, 'iris'), path.join(repo.root, 'late'), { recursive: true });
    await expectStatus(
      h.client.modelInfer({ modelName: 'late', ...encodeInferInputs([irisRows(1)], 'raw') }),
      status.UNAVAILABLE,
      /^model "late" is in the repository but not loaded; load it with RepositoryModelLoad$/,
    );
    await expectStatus(
      h.client.modelMetadata('late'),
      status.UNAVAILABLE,
      /model "late" is in the repository/,
    );
    await h.client.repositoryModelLoad('late');
    expect((await h.client.modelReady('late')).ready).toBe(true);
    await h.client.repositoryModelUnload('late');
    await rm(path.join(repo.root, 'late'), { recursive: true });
    // Unloaded and deleted: gone from the index, not UNAVAILABLE forever.
    expect((await h.client.repositoryIndex()).models.map((m) => m.name)).not.toContain('late');
    await expectStatus(
      h.client.modelInfer({ modelName: 'late', ...encodeInferInputs([irisRows(1)], 'raw') }),
      status.NOT_FOUND,
      /model "late" not found/,
    );
  });

  it('answers NOT_FOUND to a load or unload of a model that is not in the repository', async () => {
    await expectStatus(h.client.repositoryModelLoad('ghost'), status.NOT_FOUND, /model "ghost" not found/);
    await expectStatus(h.client.repositoryModelUnload('ghost'), status.NOT_FOUND, /model "ghost"/);
    await expectIrisServes();
  });

  it('unloads a model at runtime and loads it back', async () => {
    await h.client.repositoryModelUnload('iris');
    expect((await h.client.modelReady('iris')).ready).toBe(false);
    const row = (await h.client.repositoryIndex()).models.find((m) => m.name === 'iris');
    expect(row).toMatchObject({ state: 'UNAVAILABLE', reason: 'unloaded' });
    await expectStatus(
      h.client.modelInfer({ modelName: 'iris', ...encodeInferInputs([irisRows(1)], 'raw') }),
      status.UNAVAILABLE,
      /model "iris" has no READY version/,
    );
    await expectStatus(h.client.modelMetadata('iris'), status.UNAVAILABLE, /model "iris"/);
    expect((await h.client.serverReady()).ready).toBe(true);

    await h.client.repositoryModelLoad('iris');
    expect((await h.client.modelReady('iris', '1')).ready).toBe(true);
    await expectIrisServes();
  });

  it('loads with a config override given as JSON in parameters.config, and back from the file', async () => {
    const override = JSON.stringify({
      platform: 'onnx',
      max_batch_size: 2,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    });
    await h.client.repositoryModelLoad('iris', override);
    expect((await h.client.modelReady('iris')).ready).toBe(true);
    const two = await h.client.modelInfer({ modelName: 'iris', ...encodeInferInputs([irisRows(2)], 'raw') });
    expect(decodeInferOutputs(two)[0]?.data).toEqual(reference.subarray(0, 6));
    await expectStatus(
      h.client.modelInfer({ modelName: 'iris', ...encodeInferInputs([irisRows(3)], 'raw') }),
      status.INVALID_ARGUMENT,
      /input "input": batch size must be between 1 and max_batch_size 2, got 3/,
    );

    // A bad override is refused and what served before keeps serving.
    await expectStatus(
      h.client.repositoryModelLoad('iris', JSON.stringify({ platform: 'onnx', max_batch_size: -1 })),
      status.INVALID_ARGUMENT,
      /config override for model "iris": max_batch_size: must be a non-negative integer/,
    );
    await expectStatus(
      h.client.repositoryModelLoad('iris', '{not json'),
      status.INVALID_ARGUMENT,
      /not valid JSON/,
    );
    expect((await h.client.modelReady('iris')).ready).toBe(true);

    // Without the override the config file applies again (max_batch_size 64).
    await h.client.repositoryModelLoad('iris');
    await expectIrisServes();
  });
});
