/**
 * One model-server per --repository-cache-dir, enforced: a second server (its own process,
 * started as operators start it) on a cache another live server holds refuses to start
 * with one sentence and exit code 1 while the first serves on with its files intact; a
 * server killed with -9 leaves a lock that does not block the next start; a normal stop
 * frees the cache; a local --repository is only read, so it takes no lock.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_LOCK_FILE } from '../src/repository/remote/repository-mirror.js';
import { fixtureBytes } from './fixtures/temp-repo.js';
import { type ChildServer, startChildServer } from './helpers/child-server.js';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';
import { S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from './helpers/s3-server.js';
import { createTempRepository, type TempRepository } from './helpers/temp-repository.js';
import { V2Client } from './helpers/v2-client.js';

const BUCKET = 'models';
const PREFIX = 'repo';
const ADD_CONFIG = 'platform: onnx\nmax_batch_size: 8\n';

const x = () =>
  encodeInferInputs(
    [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) }],
    'typed',
  ).inputs;

/** Every file under `dir` with its size, by relative path: what a server must leave as it is. */
async function snapshot(dir: string): Promise<Record<string, number>> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: Record<string, number> = {};
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(dir, file)] = (await readFile(file)).length;
  }
  return files;
}

/** The SDK's credentials and the S3 settings, for the children (they inherit the environment). */
function setEnvironment(values: Record<string, string>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  Object.assign(process.env, values);
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

describe('one model-server per --repository-cache-dir', () => {
  let s3: TestS3Server;
  let base: string;
  let cache: string;
  let lockFile: string;
  let restoreEnvironment: (() => void) | undefined;
  let first: ChildServer | undefined;
  let firstClient: V2Client | undefined;
  const inProcess: InProcessServer[] = [];
  const repositories: TempRepository[] = [];

  const s3Args = () => [
    '--repository',
    `s3://${BUCKET}/${PREFIX}`,
    '--repository-cache-dir',
    cache,
    '--s3-endpoint',
    s3.endpoint,
    '--s3-force-path-style',
    'true',
    '--repository-poll-interval-ms',
    '0',
  ];

  beforeAll(async () => {
    s3 = await startS3Server();
    await s3.createBucket(BUCKET);
    await s3.put(BUCKET, `${PREFIX}/add/config.yaml`, ADD_CONFIG);
    await s3.put(BUCKET, `${PREFIX}/add/1/model.onnx`, await fixtureBytes('add.onnx'));
    base = await mkdtemp(path.join(tmpdir(), 'sightline-cache-lock-'));
    cache = path.join(base, 'cache');
    lockFile = path.join(cache, CACHE_LOCK_FILE);
    restoreEnvironment = setEnvironment({
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    });
  });

  afterAll(async () => {
    firstClient?.close();
    await first?.stop('SIGKILL');
    for (const server of inProcess) await server.stop();
    for (const repository of repositories) await repository.cleanup();
    restoreEnvironment?.();
    await s3?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('refuses a second server on the cache in use, naming the flag, the directory and the holder; the first serves on', async () => {
    first = await startChildServer(s3Args());
    firstClient = new V2Client(first.address);
    const answer = await firstClient.modelInfer({ modelName: 'add', inputs: x() });
    expect(answer.outputs[0]?.contents?.fp32Contents).toEqual([2, 4, 6, 8]);
    expect(await readFile(lockFile, 'utf8')).toBe(`${first.process.pid}\n`);
    const before = await snapshot(cache);
    expect(before).toHaveProperty(path.join('add', '1', 'model.onnx'));

    const sentence = `--repository-cache-dir ${cache} is in use by another model-server service (pid ${first.process.pid}, lock file ${lockFile}); stop it or use another directory`;
    const refused = await startChildServer(s3Args()).then(
      () => new Error('the second server started'),
      (error: unknown) => error as Error,
    );
    expect(refused.message).toMatch(/^model-server child exited \(1\) before serving/);
    expect(refused.message).toContain(`sightline: model-server failed to start: ${sentence}\n`);
    // The same refusal in-process, where the start's error is the sentence itself.
    await expect(
      startInProcessServer(`s3://${BUCKET}/${PREFIX}`, {
        repositoryCacheDir: cache,
        s3Endpoint: s3.endpoint,
        s3ForcePathStyle: 'true',
        repositoryPollIntervalMs: '0',
      }),
    ).rejects.toThrow(sentence);

    expect(await snapshot(cache)).toEqual(before);
    expect(await readFile(lockFile, 'utf8')).toBe(`${first.process.pid}\n`);
    const again = await firstClient.modelInfer({ modelName: 'add', inputs: x() });
    expect(again.outputs[0]?.contents?.fp32Contents).toEqual([2, 4, 6, 8]);
  });

  it('starts on the cache of a server killed with -9, reusing it, and frees it at a normal stop', async () => {
    const killed = first!;
    firstClient?.close();
    firstClient = undefined;
    expect(await killed.stop('SIGKILL')).toBe('SIGKILL');
    first = undefined;
    // The lock stays behind, holding a pid no process has any more.
    expect(await readFile(lockFile, 'utf8')).toBe(`${killed.process.pid}\n`);

    const restarted = await startInProcessServer(`s3://${BUCKET}/${PREFIX}`, {
      repositoryCacheDir: cache,
      s3Endpoint: s3.endpoint,
      s3ForcePathStyle: 'true',
      repositoryPollIntervalMs: '0',
    });
    inProcess.push(restarted);
    const answer = await restarted.client.modelInfer({ modelName: 'add', inputs: x() });
    expect(answer.outputs[0]?.contents?.fp32Contents).toEqual([2, 4, 6, 8]);
    expect(await readFile(lockFile, 'utf8')).toBe(`${process.pid}\n`);
    const metrics = await (await fetch(`${restarted.httpBase}/metrics`)).text();
    // Reused: nothing downloaded again.
    expect(metrics).not.toMatch(/^sightline_model_repository_version_download_seconds_count\{/m);
    expect(metrics).toMatch(/^sightline_model_repository_cache_bytes\{[^}]*\} [1-9]/m);

    await restarted.stop();
    inProcess.splice(inProcess.indexOf(restarted), 1);
    expect(await readdir(path.dirname(lockFile))).not.toContain(path.basename(lockFile));
    expect(await readdir(path.join(cache, 'add', '1'))).toContain('model.onnx');
  });

  it('takes no lock on a local --repository: two servers serve one directory, which stays as it was', async () => {
    const repository = await createTempRepository({ add: { fixture: 'add.onnx', config: ADD_CONFIG } });
    repositories.push(repository);
    const before = await readdir(repository.root, { recursive: true });
    const one = await startInProcessServer(repository.root);
    inProcess.push(one);
    const two = await startInProcessServer(repository.root);
    inProcess.push(two);
    for (const server of [one, two]) {
      const answer = await server.client.modelInfer({ modelName: 'add', inputs: x() });
      expect(answer.outputs[0]?.contents?.fp32Contents).toEqual([2, 4, 6, 8]);
    }
    expect((await readdir(repository.root, { recursive: true })).sort()).toEqual(before.sort());
  });
});
