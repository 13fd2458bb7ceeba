/**
 * kill -9 of a model-server in the middle of downloading a version from a remote
 * repository (a loopback http repository whose file stalls half-way), then a restart on the
 * same cache: the half version is never placed nor loaded, the leftovers are removed, and
 * the version is fetched whole once the repository serves it.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBytes } from './fixtures/temp-repo.js';
import { type ChildServer, startChildServer } from './helpers/child-server.js';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';
import { type ManifestRepository, startManifestRepository } from './helpers/manifest-repository.js';

const x = () =>
  encodeInferInputs(
    [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) }],
    'typed',
  ).inputs;

describe('a model-server killed mid-download', () => {
  const files = new Map<string, Buffer>();
  /** Files whose body stops half-way and never ends (the connection stays open). */
  const stalled = new Set<string>();
  const stalledResponses: ServerResponse[] = [];
  let halfSent: () => void = () => undefined;
  let repository: ManifestRepository | undefined;
  let base: string;
  let url: string;
  let child: ChildServer | undefined;
  let restarted: InProcessServer | undefined;

  beforeAll(async () => {
    const add = await fixtureBytes('add.onnx');
    files.set('add/1/model.onnx', add);
    files.set('add/2/model.onnx', add);
    stalled.add('add/2/model.onnx');
    repository = await startManifestRepository(files, {
      // Version 2 appears only once the first server is serving version 1.
      listed: (filePath) => child !== undefined || !filePath.includes('/2/'),
      serveFile: (file, bytes, response) => {
        if (bytes === undefined || !stalled.has(file)) return false;
        stalledResponses.push(response);
        response.writeHead(200, { 'content-length': bytes.length });
        response.write(bytes.subarray(0, bytes.length / 2), () => halfSent());
        return true;
      },
    });
    url = repository.url;
    base = await mkdtemp(path.join(tmpdir(), 'sightline-crash-download-'));
  });

  afterAll(async () => {
    await child?.stop('SIGKILL');
    await restarted?.stop();
    for (const response of stalledResponses) response.destroy();
    await repository?.close();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('never places the half version, and fetches it whole after the restart', async () => {
    const cache = path.join(base, 'cache');
    const halfWay = new Promise<void>((resolve) => {
      halfSent = resolve;
    });
    const first = await startChildServer([
      '--repository',
      url,
      '--repository-cache-dir',
      cache,
      '--repository-poll-interval-ms',
      '100',
    ]);
    child = first;
    await halfWay;
    await first.stop('SIGKILL');

    expect(await readdir(path.join(cache, 'add'))).not.toContain('2');
    expect(await readdir(path.join(cache, 'add', '1'))).toContain('model.onnx');

    stalled.clear();
    restarted = await startInProcessServer(url, { repositoryCacheDir: cache, repositoryPollIntervalMs: '0' });
    const answer = await restarted.client.modelInfer({ modelName: 'add', inputs: x() });
    expect(answer.modelVersion).toBe('2');
    expect(answer.outputs[0]?.contents?.fp32Contents).toEqual([2, 4, 6, 8]);
    expect(await readdir(path.join(cache, '.sightline-cache', 'tmp'))).toEqual([]);
  });
});
