/**
 * A read-only repository over HTTP: a node:http server on loopback serves the files and the
 * manifest listing them (path, size, sha256); the model-server loads from it, answers the
 * version's source URI, and refuses a file whose bytes do not match the manifest.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { encodeInferInputs } from '@sightline/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureBytes } from './fixtures/temp-repo.js';
import { type InProcessServer, startInProcessServer } from './helpers/in-process-server.js';
import { type ManifestRepository, startManifestRepository } from './helpers/manifest-repository.js';

describe('model repository over http(s) with a manifest', () => {
  const files = new Map<string, Buffer>();
  let repository: ManifestRepository | undefined;
  let base: string;
  let url: string;
  let h: InProcessServer;

  beforeAll(async () => {
    const add = await fixtureBytes('add.onnx');
    files.set('add/config.yaml', Buffer.from('platform: onnx\nmax_batch_size: 8\n'));
    files.set('add/1/model.onnx', add);
    files.set('tampered/1/model.onnx', add);
    repository = await startManifestRepository(files, {
      // The tampered model is listed with the digest of other bytes.
      digestOf: (filePath, bytes) => (filePath.startsWith('tampered/') ? Buffer.from('other bytes') : bytes),
    });
    url = repository.url;
    base = await mkdtemp(path.join(tmpdir(), 'sightline-http-repo-'));
    h = await startInProcessServer(url, { repositoryCacheDir: path.join(base, 'cache') });
  });

  afterAll(async () => {
    await h?.stop();
    await repository?.close();
    if (base) await rm(base, { recursive: true, force: true });
  });

  it('serves a model listed in the manifest, naming where its version came from', async () => {
    const inputs = encodeInferInputs(
      [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) }],
      'typed',
    ).inputs;
    const answer = await h.client.modelInfer({ modelName: 'add', inputs, outputs: [{ name: 'y' }] });
    expect(answer.outputs[0]?.contents?.fp32Contents).toEqual([2, 4, 6, 8]);
    expect((await h.client.modelMetadata('add')).parameters.source_uri?.stringParam).toBe(`${url}add/1/`);
  });

  it('refuses a file whose bytes do not match the manifest, alone', async () => {
    const row = (await h.client.repositoryIndex()).models.find((m) => m.name === 'tampered');
    expect(row).toMatchObject({ version: '1', state: 'FAILED' });
    expect(row?.reason).toContain(`${url}tampered/1/model.onnx: checksum mismatch (sha256 `);
  });
});
