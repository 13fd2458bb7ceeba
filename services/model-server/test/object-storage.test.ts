/**
 * A model repository in an S3 bucket (a real S3-compatible server, s3rver, on loopback):
 * served from the local cache, polled for new versions, a corrupt upload refused alone, a
 * bucket that disappears mid-poll, credentials the store refuses, and a restart that
 * resumes from the cache without downloading again.
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_LOCK_FILE } from '../src/repository/remote/repository-mirror.js';
import { fixtureBytes } from './fixtures/temp-repo.js';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';
import { eventually, S3RVER_CREDENTIALS, startS3Server, type TestS3Server } from './helpers/s3-server.js';
import { expectStatus } from './helpers/v2-client.js';

const BUCKET = 'models';
const PREFIX = 'repo';
const ADD_CONFIG = [
  'platform: onnx',
  'max_batch_size: 8',
  'lineage:',
  '  training_data: {location: "s3://data/add/train.csv"}',
  '  code_revision: v1.0.0',
  '  license: Apache-2.0',
  '',
].join('\n');
/** Version 2's own provenance: it replaces the config's. */
const ADD_V2_LINEAGE = 'code_revision: v2.0.0\ncreated_at: "2026-12-01T10:00:00Z"\nlicense: MIT\n';

const stringParameters = (parameters: Record<string, { stringParam?: string | undefined }>) =>
  Object.fromEntries(Object.entries(parameters).map(([key, value]) => [key, value.stringParam]));
const x = () =>
  encodeInferInputs(
    [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) }],
    'typed',
  ).inputs;

/**
 * Copies a cache whose server runs, for another server to start on: without its lock,
 * which names the running server (this process) and would refuse the copy's start.
 */
async function copyCache(from: string, to: string): Promise<void> {
  const lock = path.join(from, CACHE_LOCK_FILE);
  await cp(from, to, { recursive: true, filter: (source) => source !== lock });
}

/** Sets the SDK's environment credentials for the servers started inside `body`'s scope. */
function setCredentials(accessKeyId: string, secretAccessKey: string): () => void {
  const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
  process.env.AWS_ACCESS_KEY_ID = accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = secretAccessKey;
  return () => {
    for (const [name, value] of [
      ['AWS_ACCESS_KEY_ID', saved.id],
      ['AWS_SECRET_ACCESS_KEY', saved.secret],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Sets (or, for undefined, removes) environment variables; returns what restores them. */
function setEnvironment(values: Record<string, string | undefined>): () => void {
  const saved = Object.fromEntries(Object.keys(values).map((name) => [name, process.env[name]]));
  const apply = (next: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(next)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(values);
  return () => apply(saved);
}

describe('model repository in S3, polled', () => {
  let s3: TestS3Server;
  let base: string;
  let cacheDir: string;
  let h: InProcessServer;
  let addOnnx: Buffer;
  const servers: InProcessServer[] = [];
  const restores: (() => void)[] = [];

  const flags = (cache: string, poll = '100') => ({
    s3Endpoint: s3.endpoint,
    s3ForcePathStyle: 'true',
    repositoryCacheDir: cache,
    repositoryPollIntervalMs: poll,
  });

  async function start(
    cache: string,
    poll?: string,
    extra: Record<string, string> = {},
    prefix = PREFIX,
  ): Promise<InProcessServer> {
    const server = await startInProcessServer(`s3://${BUCKET}/${prefix}`, {
      ...flags(cache, poll),
      ...extra,
    });
    servers.push(server);
    return server;
  }

  async function indexRow(server: InProcessServer, name: string, version: string) {
    const index = await server.client.repositoryIndex();
    return index.models.find((m) => m.name === name && m.version === version);
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    base = await mkdtemp(path.join(tmpdir(), 'sightline-objstore-'));
    cacheDir = path.join(base, 'cache');
    addOnnx = await fixtureBytes('add.onnx');
    await s3.createBucket(BUCKET);
    await s3.put(BUCKET, `${PREFIX}/add/config.yaml`, ADD_CONFIG);
    await s3.put(BUCKET, `${PREFIX}/add/1/model.onnx`, addOnnx);
    restores.push(setCredentials(S3RVER_CREDENTIALS.accessKeyId, S3RVER_CREDENTIALS.secretAccessKey));
    h = await start(cacheDir);
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    for (const restore of restores.reverse()) restore();
    await s3?.stop();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('serves a model of the bucket from the cache', async () => {
    const answer = await h.client.modelInfer({ modelName: 'add', inputs: x(), outputs: [{ name: 'y' }] });
    expect(answer.modelVersion).toBe('1');
    expect(answer.outputs[0]?.contents?.fp32Contents).toEqual([2, 4, 6, 8]);
    expect(await readdir(path.join(cacheDir, 'add', '1'))).toContain('model.onnx');
  });

  it("answers the version's source URI and the config's lineage in ModelMetadata parameters", async () => {
    const metadata = await h.client.modelMetadata('add');
    expect(stringParameters(metadata.parameters)).toEqual({
      source_uri: `s3://${BUCKET}/${PREFIX}/add/1/`,
      'lineage.code_revision': 'v1.0.0',
      'lineage.license': 'Apache-2.0',
      'lineage.training_data.location': 's3://data/add/train.csv',
    });
  });

  it('serves a version uploaded while polling, and retires the old one', async () => {
    // The lineage first: a poll between the two uploads would load version 2 without it.
    await s3.put(BUCKET, `${PREFIX}/add/2/lineage.yaml`, ADD_V2_LINEAGE);
    await s3.put(BUCKET, `${PREFIX}/add/2/model.onnx`, addOnnx);
    await eventually(async () => {
      const answer = await h.client.modelInfer({ modelName: 'add', inputs: x() });
      expect(answer.modelVersion).toBe('2');
    });
    await eventually(async () => expect((await indexRow(h, 'add', '1'))?.state).toBe('UNAVAILABLE'));
    expect(stringParameters((await h.client.modelMetadata('add')).parameters)).toEqual({
      source_uri: `s3://${BUCKET}/${PREFIX}/add/2/`,
      'lineage.code_revision': 'v2.0.0',
      'lineage.created_at': '2026-12-01T10:00:00Z',
      'lineage.license': 'MIT',
    });
  });

  it('refuses a corrupt ONNX upload alone, with its reason, while the previous version serves', async () => {
    await s3.put(BUCKET, `${PREFIX}/add/3/model.onnx`, 'not an ONNX model at all\n');
    const row = await eventually(async () => {
      const found = await indexRow(h, 'add', '3');
      expect(found?.state).toBe('FAILED');
      return found!;
    });
    expect(row.reason).toMatch(/^model "add" version 3: /);
    const answer = await h.client.modelInfer({ modelName: 'add', inputs: x() });
    expect(answer.modelVersion).toBe('2');
    // Removed from the bucket: it leaves the cache and is no longer FAILED.
    await s3.remove(BUCKET, `${PREFIX}/add/3/model.onnx`);
    await eventually(async () => expect((await indexRow(h, 'add', '3'))?.state).toBe('UNAVAILABLE'));
    expect(await readdir(path.join(cacheDir, 'add'))).not.toContain('3');
  });

  it('refuses a version whose bytes do not match the ETag, and never loads it', async () => {
    // Upload into a staging bucket, flip the stored bytes (s3rver keeps the upload's ETag),
    // then move the key's directory into the repository at once: no poll sees it half-made.
    await s3.createBucket('staging');
    await s3.put('staging', 'mixed/1/model.onnx', await fixtureBytes('mixed.onnx'));
    const stored = path.join(s3.directory, 'staging', 'mixed', '1', 'model.onnx._S3rver_object');
    const bytes = await fixtureBytes('mixed.onnx');
    bytes[bytes.length - 1] ^= 0xff;
    await writeFile(stored, bytes);
    await rename(
      path.join(s3.directory, 'staging', 'mixed'),
      path.join(s3.directory, BUCKET, PREFIX, 'mixed'),
    );

    const row = await eventually(async () => {
      const found = await indexRow(h, 'mixed', '1');
      expect(found?.state).toBe('FAILED');
      return found!;
    });
    expect(row.reason).toContain('checksum mismatch');
    expect(row.reason).toContain(`s3://${BUCKET}/${PREFIX}/mixed/1/model.onnx`);
    await expectStatus(
      h.client.modelInfer({ modelName: 'mixed', inputs: x() }),
      status.UNAVAILABLE,
      /not loaded/,
    );
    // Nothing of it reached the model directory.
    expect(await readdir(path.join(cacheDir, 'mixed')).catch(() => [])).not.toContain('1');
    expect((await h.client.modelInfer({ modelName: 'add', inputs: x() })).modelVersion).toBe('2');
  });

  it('keeps serving when the bucket disappears mid-poll, and says why', async () => {
    const bucketDir = path.join(s3.directory, BUCKET);
    await rename(bucketDir, `${bucketDir}-gone`);
    try {
      const row = await eventually(async () => {
        const found = await indexRow(h, 'add', '2');
        expect(found?.reason).toContain('the bucket does not exist');
        return found!;
      });
      expect(row.state).toBe('READY');
      expect((await h.client.modelInfer({ modelName: 'add', inputs: x() })).modelVersion).toBe('2');
    } finally {
      await rename(`${bucketDir}-gone`, bucketDir);
    }
    await eventually(async () => expect((await indexRow(h, 'add', '2'))?.reason).toBe(''));
  });

  it('fetches at once on RepositoryModelLoad, without waiting for a poll', async () => {
    const noPoll = await start(path.join(base, 'cache-no-poll'), '0');
    await s3.put(BUCKET, `${PREFIX}/late/1/model.onnx`, addOnnx);
    await noPoll.client.repositoryModelLoad('late');
    expect((await noPoll.client.modelInfer({ modelName: 'late', inputs: x() })).modelVersion).toBe('1');
  });

  it('with refused credentials, serves what the cache holds and fails a new model with a clear reason', async () => {
    const copy = path.join(base, 'cache-refused');
    await copyCache(cacheDir, copy);
    restores.push(setCredentials('ROTATED-AWAY', 'wrong-secret'));
    const refused = await start(copy, '0');
    restores.pop()!();

    expect((await refused.client.modelInfer({ modelName: 'add', inputs: x() })).modelVersion).toBe('2');
    await expectStatus(
      refused.client.repositoryModelLoad('fresh'),
      status.UNAUTHENTICATED,
      /refused the credentials/,
    );
    const index = await refused.client.repositoryIndex();
    const fresh = index.models.find((m) => m.name === 'fresh');
    expect(fresh?.state).toBe('FAILED');
    expect(fresh?.reason).toMatch(
      /^listing s3:\/\/models\/repo\/fresh\/: the store refused the credentials \(InvalidAccessKeyId/,
    );
    expect(index.models.find((m) => m.name === 'add' && m.version === '2')?.state).toBe('READY');
    expect((await refused.client.modelInfer({ modelName: 'add', inputs: x() })).modelVersion).toBe('2');
  });

  it('resumes from the cache after a restart: complete versions reused, partial downloads removed', async () => {
    // Every model of the bucket that can be cached is (late came in through the poll).
    await eventually(async () => expect(await readdir(path.join(cacheDir, 'late'))).toContain('1'));
    const copy = path.join(base, 'cache-restart');
    await copyCache(cacheDir, copy);
    // What a crash mid-download leaves: a temp directory, and a version without its marker.
    await mkdir(path.join(copy, '.sightline-cache', 'tmp', 'interrupted'), { recursive: true });
    await mkdir(path.join(copy, 'add', '7'), { recursive: true });
    await writeFile(path.join(copy, 'add', '7', 'model.onnx'), addOnnx.subarray(0, 10));

    const restarted = await start(copy, '0');
    expect((await restarted.client.modelInfer({ modelName: 'add', inputs: x() })).modelVersion).toBe('2');
    expect(await readdir(path.join(copy, '.sightline-cache', 'tmp'))).toEqual([]);
    expect(await readdir(path.join(copy, 'add'))).not.toContain('7');
    const metrics = await (await fetch(`${restarted.httpBase}/metrics`)).text();
    // Only the refused version (mixed 1, bad bytes) is tried again; nothing is downloaded whole.
    expect(metrics).not.toMatch(
      /^sightline_model_repository_version_download_seconds_count\{[^}]*result="ok"/m,
    );
    expect(metrics).toMatch(
      /^sightline_model_repository_version_download_seconds_count\{[^}]*result="failed"\} 1$/m,
    );
    expect(metrics).toMatch(/^sightline_model_repository_cache_bytes\{[^}]*\} [1-9]/m);
  });

  it('unloads a model removed from the bucket once a poll sees it gone', async () => {
    await eventually(async () => expect((await h.client.modelReady('late')).ready).toBe(true));
    await s3.remove(BUCKET, `${PREFIX}/late/1/model.onnx`);
    await eventually(async () => expect((await h.client.modelReady('late')).ready).toBe(false));
    await eventually(async () => expect(await readdir(cacheDir)).not.toContain('late'));
  });

  it('evicts the least recently used version when the cache fills, never the served one', async () => {
    // Room for two versions of add.onnx, not three; loads fetch at once (no polling).
    const maxBytes = String(Math.floor(addOnnx.length * 2.5));
    const cache = path.join(base, 'cache-fill');
    await s3.put(BUCKET, 'fill/m/config.yaml', ADD_CONFIG);
    await s3.put(BUCKET, 'fill/m/1/model.onnx', addOnnx);
    const server = await start(cache, '0', { repositoryCacheMaxBytes: maxBytes }, 'fill');
    for (const version of ['2', '3']) {
      await s3.put(BUCKET, `fill/m/${version}/model.onnx`, addOnnx);
      await server.client.repositoryModelLoad('m');
      expect((await server.client.modelInfer({ modelName: 'm', inputs: x() })).modelVersion).toBe(version);
    }
    // Version 3 needed room: 1 (drained, least recently used) went; 2 had served just before.
    expect((await readdir(path.join(cache, 'm'))).filter((f) => /^\d+$/.test(f)).sort()).toEqual(['2', '3']);
    // The eviction removed a version, never the cache's lock.
    expect(await readFile(path.join(cache, CACHE_LOCK_FILE), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses a version that only fits by evicting the served one, which keeps serving', async () => {
    const maxBytes = String(Math.floor(addOnnx.length * 1.5));
    const cache = path.join(base, 'cache-full');
    await s3.put(BUCKET, 'full/m/config.yaml', ADD_CONFIG);
    await s3.put(BUCKET, 'full/m/1/model.onnx', addOnnx);
    const server = await start(cache, '0', { repositoryCacheMaxBytes: maxBytes }, 'full');
    await s3.put(BUCKET, 'full/m/2/model.onnx', addOnnx);
    await server.client.repositoryModelLoad('m');
    expect((await server.client.modelInfer({ modelName: 'm', inputs: x() })).modelVersion).toBe('1');
    const row = (await server.client.repositoryIndex()).models.find(
      (m) => m.name === 'm' && m.version === '2',
    );
    expect(row?.state).toBe('FAILED');
    expect(row?.reason).toBe(
      `model "m" version 2: needs ${addOnnx.length} bytes in the cache, but --repository-cache-max-bytes is ${maxBytes} and ${addOnnx.length} bytes hold versions being served or wanted`,
    );
  });

  it('with no credentials at all, starts and says in RepositoryIndex and on a load where they are looked for', async () => {
    // Every source of the SDK's default chain emptied: environment, shared files, instance metadata.
    const missing = path.join(base, 'no-such-aws-file');
    const restore = setEnvironment({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_SHARED_CREDENTIALS_FILE: missing,
      AWS_CONFIG_FILE: missing,
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    try {
      const bare = await start(path.join(base, 'cache-no-credentials'), '0');
      const expected =
        /^listing s3:\/\/models\/repo\/: no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role \(CredentialsProviderError/;
      const index = await bare.client.repositoryIndex();
      expect(index.models).toHaveLength(1);
      expect(index.models[0]).toMatchObject({ name: '', version: '', state: 'UNAVAILABLE' });
      expect(index.models[0]?.reason.replace(/^repository: /, '')).toMatch(expected);
      await expectStatus(
        bare.client.repositoryModelLoad('add'),
        status.UNAUTHENTICATED,
        /no credentials found/,
      );
    } finally {
      restore();
    }
  });

  it('counts download bytes and durations on /metrics', async () => {
    const metrics = await (await fetch(`${h.httpBase}/metrics`)).text();
    const bytes = Number(
      /^sightline_model_repository_download_bytes_total\{[^}]*\} (\d+)$/m.exec(metrics)?.[1],
    );
    expect(bytes).toBeGreaterThanOrEqual(2 * addOnnx.length);
    expect(metrics).toMatch(
      /^sightline_model_repository_version_download_seconds_count\{[^}]*result="ok"\} [1-9]/m,
    );
    expect(metrics).toMatch(
      /^sightline_model_repository_version_download_seconds_count\{[^}]*result="failed"\} [1-9]/m,
    );
  });
});

describe('a store that accepts connections and never answers', () => {
  let silent: Server;
  const sockets: Socket[] = [];
  let base: string;
  let server: InProcessServer | undefined;
  let restore: () => void = () => undefined;

  beforeAll(async () => {
    silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    base = await mkdtemp(path.join(tmpdir(), 'sightline-silent-store-'));
    restore = setCredentials(S3RVER_CREDENTIALS.accessKeyId, S3RVER_CREDENTIALS.secretAccessKey);
  });

  afterAll(async () => {
    await server?.stop();
    restore();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent?.close(resolve));
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('starts after --repository-list-timeout-ms, says why, and a load answers DEADLINE_EXCEEDED', async () => {
    server = await startInProcessServer(`s3://${BUCKET}/${PREFIX}`, {
      s3Endpoint: `http://127.0.0.1:${(silent.address() as AddressInfo).port}`,
      s3ForcePathStyle: 'true',
      repositoryCacheDir: path.join(base, 'cache'),
      repositoryPollIntervalMs: '0',
      repositoryListTimeoutMs: '300',
    });
    const index = await server.client.repositoryIndex();
    expect(index.models).toEqual([
      {
        name: '',
        version: '',
        state: 'UNAVAILABLE',
        reason: `repository: listing s3://${BUCKET}/${PREFIX}/: no answer within 300 ms (--repository-list-timeout-ms); serving what is cached`,
      },
    ]);
    await expectStatus(
      server.client.repositoryModelLoad('add'),
      status.DEADLINE_EXCEEDED,
      /listing s3:\/\/models\/repo\/add\/: no answer within 300 ms/,
    );
  });
});
