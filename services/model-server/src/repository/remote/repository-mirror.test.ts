/**
 * The mirror and its cache against a real http(s) manifest repository: a node:http server
 * on 127.0.0.1 serving files and the manifest listing them.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataDirLock } from '@sightline/service-kit';
import { silentLogger } from '@sightline/service-kit/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HttpManifestSource } from './http-manifest-source.js';
import { CACHE_LOCK_FILE, CACHE_STATE_DIR, RepositoryMirror } from './repository-mirror.js';

/** A loopback HTTP repository: `files` by path, the manifest built from them. */
class HttpRepository {
  readonly files = new Map<string, Buffer>();
  /** Manifest entries whose sha256 is replaced (a corrupt upload). */
  readonly wrongSha = new Set<string>();
  /** Files whose connection is cut half-way through the body (a reset mid-download). */
  readonly cut = new Set<string>();
  readonly gets: string[] = [];
  /** When set, requests are accepted and never answered (a hung server). */
  silent = false;
  #server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer((request, response) => {
      const file = decodeURIComponent((request.url ?? '/').slice('/repo/'.length));
      this.gets.push(file);
      if (this.silent) return;
      if (file === 'manifest.json') {
        const files = [...this.files].map(([filePath, bytes]) => ({
          path: filePath,
          size: bytes.length,
          sha256: this.wrongSha.has(filePath)
            ? '0'.repeat(64)
            : createHash('sha256').update(bytes).digest('hex'),
        }));
        response.end(JSON.stringify({ files }));
        return;
      }
      const bytes = this.files.get(file);
      if (bytes !== undefined && this.cut.has(file)) {
        response.writeHead(200, { 'content-length': bytes.length });
        response.write(bytes.subarray(0, bytes.length / 2), () => response.destroy());
        return;
      }
      response.statusCode = bytes === undefined ? 404 : 200;
      response.end(bytes);
    });
    await new Promise<void>((resolve) => this.#server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/repo/`;
  }

  async stop(): Promise<void> {
    this.#server?.closeAllConnections();
    await new Promise((resolve) => this.#server?.close(resolve));
  }
}

const versionBytes = (version: number, size = 100) => Buffer.alloc(size, version);

describe('RepositoryMirror over an http manifest repository', () => {
  let remote: HttpRepository;
  let cacheDir: string;
  const served = new Set<string>();

  const mirror = (maxBytes?: number) =>
    new RepositoryMirror({
      source: new HttpManifestSource(new URL(remote.url)),
      cacheDir,
      maxBytes,
      isServed: (model, version) => served.has(`${model}/${version}`),
    });

  beforeEach(async () => {
    remote = new HttpRepository();
    await remote.start();
    cacheDir = path.join(await mkdtemp(path.join(tmpdir(), 'sightline-mirror-')), 'cache');
    served.clear();
  });

  afterEach(async () => {
    await remote.stop();
    await rm(path.dirname(cacheDir), { recursive: true, force: true });
  });

  it('downloads the versions the policy picks, with the model files, and reports what changed', async () => {
    remote.files.set('m/config.yaml', Buffer.from('version_policy:\n  latest:\n    num_versions: 2\n'));
    for (const v of [1, 2, 3]) remote.files.set(`m/${v}/model.onnx`, versionBytes(v));
    const m = mirror();
    expect(await m.sync()).toEqual({ changed: ['m'], removed: [] });
    expect(m.cachedVersions().map((v) => v.version)).toEqual([2, 3]);
    expect((await readdir(path.join(cacheDir, 'm'))).filter((f) => !f.startsWith('.')).sort()).toEqual([
      '2',
      '3',
      'config.yaml',
    ]);
    expect(m.problems()).toEqual([]);
    // Nothing changed: nothing downloaded again.
    remote.gets.length = 0;
    expect(await m.sync()).toEqual({ changed: [], removed: [] });
    expect(remote.gets).toEqual(['manifest.json']);
  });

  it('refuses a version whose bytes do not match the manifest, alone, and leaves nothing of it', async () => {
    remote.files.set('good/1/model.onnx', versionBytes(1));
    remote.files.set('bad/1/model.onnx', versionBytes(2));
    remote.wrongSha.add('bad/1/model.onnx');
    const m = mirror();
    expect(await m.sync()).toEqual({ changed: ['good'], removed: [] });
    const [problem] = m.problems();
    expect(problem).toMatchObject({ name: 'bad', version: 1 });
    expect(problem?.reason).toContain(`${remote.url}bad/1/model.onnx: checksum mismatch (sha256 `);
    expect(await readdir(path.join(cacheDir, 'bad'))).not.toContain('1');
    expect(await readdir(path.join(cacheDir, CACHE_STATE_DIR, 'tmp'))).toEqual([]);
    // Not fetched again until it changes.
    remote.gets.length = 0;
    await m.sync();
    expect(remote.gets).toEqual(['manifest.json']);
    expect(m.problems()).toHaveLength(1);
  });

  it('places nothing of a download cut half-way, and fetches it again on the next sync', async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1, 64 * 1024));
    remote.cut.add('m/1/model.onnx');
    const m = mirror();
    await m.sync();
    expect(m.problems()).toEqual([
      {
        name: 'm',
        version: 1,
        reason: expect.stringMatching(/^http:.*\/m\/1\/model\.onnx: download failed: /),
      },
    ]);
    expect(await readdir(path.join(cacheDir, 'm'))).not.toContain('1');
    expect(await readdir(path.join(cacheDir, CACHE_STATE_DIR, 'tmp'))).toEqual([]);
    remote.cut.clear();
    expect(await m.sync()).toEqual({ changed: ['m'], removed: [] });
    expect(m.cachedVersions().map((v) => v.version)).toEqual([1]);
    expect(m.problems()).toEqual([]);
  });

  it('evicts the least recently used version when the cache fills, never a served one', async () => {
    const m = mirror(250);
    remote.files.set('m/1/model.onnx', versionBytes(1));
    await m.sync();
    served.add('m/1');
    remote.files.set('m/2/model.onnx', versionBytes(2));
    await m.sync();
    expect(m.cachedVersions().map((v) => v.version)).toEqual([1, 2]);
    // Version 2 now serves and 1 has drained; 3 needs room: 1 goes, not 2.
    served.clear();
    served.add('m/2');
    remote.files.set('m/3/model.onnx', versionBytes(3));
    await m.sync();
    expect(m.cachedVersions().map((v) => v.version)).toEqual([2, 3]);
    expect(m.cachedBytes).toBe(200);
    expect(m.problems()).toEqual([]);
  });

  it('refuses a version that cannot fit without evicting a served one', async () => {
    const m = mirror(150);
    remote.files.set('m/1/model.onnx', versionBytes(1));
    await m.sync();
    served.add('m/1');
    remote.files.set('m/2/model.onnx', versionBytes(2));
    await m.sync();
    expect(m.cachedVersions().map((v) => v.version)).toEqual([1]);
    expect(m.problems()).toEqual([
      {
        name: 'm',
        version: 2,
        reason:
          'model "m" version 2: needs 100 bytes in the cache, but --repository-cache-max-bytes is 150 and 100 bytes hold versions being served or wanted',
      },
    ]);
  });

  it('resumes after a restart: complete versions reused, partial ones removed', async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1));
    await mirror().sync();
    await mkdir(path.join(cacheDir, CACHE_STATE_DIR, 'tmp', 'half'), { recursive: true });
    await mkdir(path.join(cacheDir, 'm', '5'));
    await writeFile(path.join(cacheDir, 'm', '5', 'model.onnx'), 'half a model');

    remote.gets.length = 0;
    const restarted = mirror();
    expect(await restarted.sync()).toEqual({ changed: [], removed: [] });
    expect(remote.gets).toEqual(['manifest.json']);
    expect(restarted.cachedVersions().map((v) => v.version)).toEqual([1]);
    expect(await readdir(path.join(cacheDir, 'm'))).not.toContain('5');
    expect(await readdir(path.join(cacheDir, CACHE_STATE_DIR, 'tmp'))).toEqual([]);
  });

  it('removes versions and models gone from the remote', async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1));
    remote.files.set('m/2/model.onnx', versionBytes(2));
    remote.files.set('gone/1/model.onnx', versionBytes(3));
    const m = mirror();
    remote.files.set('m/config.yaml', Buffer.from('version_policy: {all: {}}\n'));
    await m.sync();
    remote.files.delete('m/2/model.onnx');
    remote.files.delete('m/config.yaml');
    remote.files.delete('gone/1/model.onnx');
    expect(await m.sync()).toEqual({ changed: ['m'], removed: ['gone'] });
    expect((await readdir(path.join(cacheDir, 'm'))).filter((f) => !f.startsWith('.'))).toEqual(['1']);
    expect(await readdir(cacheDir)).not.toContain('gone');
  });

  it('keeps the cache when the manifest cannot be read, and says why', async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1));
    const m = mirror();
    await m.sync();
    await remote.stop();
    await expect(m.sync()).rejects.toThrow(/manifest\.json/);
    expect(m.problems()[0]).toMatchObject({
      name: '',
      reason: expect.stringMatching(/serving what is cached$/),
    });
    expect(m.cachedVersions()).toHaveLength(1);
  });
});

describe('RepositoryMirror over hostile listings', () => {
  let remote: HttpRepository;
  let cacheDir: string;

  const mirror = (dir = cacheDir, maxBytes?: number) =>
    new RepositoryMirror({ source: new HttpManifestSource(new URL(remote.url)), cacheDir: dir, maxBytes });
  const versionGets = () => remote.gets.filter((file) => file !== 'manifest.json');

  beforeEach(async () => {
    remote = new HttpRepository();
    await remote.start();
    cacheDir = path.join(await mkdtemp(path.join(tmpdir(), 'sightline-mirror-')), 'cache');
  });

  afterEach(async () => {
    await remote.stop();
    await rm(path.dirname(cacheDir), { recursive: true, force: true });
  });

  it('refuses a version where one key is both a file and a directory, once, with both paths', async () => {
    remote.files.set('m/config.yaml', Buffer.from('version_policy: {all: {}}\n'));
    remote.files.set('m/1/model.onnx', versionBytes(1));
    remote.files.set('m/2/model.onnx', versionBytes(2));
    remote.files.set('m/2/model.onnx/extra', versionBytes(2));
    const m = mirror();
    await m.sync();
    expect(m.cachedVersions().map((v) => v.version)).toEqual([1]);
    expect(m.problems()).toEqual([
      {
        name: 'm',
        version: 2,
        reason:
          'model "m" version 2: file "m/2/model.onnx" is also the directory of "m/2/model.onnx/extra"; the cache cannot hold both',
      },
    ]);
    // Refused for its listing: not fetched again until it changes.
    remote.gets.length = 0;
    await m.sync();
    expect(versionGets()).toEqual([]);
    expect(m.problems()).toHaveLength(1);
  });

  it('refuses a version file whose name is over 255 bytes, and ignores such a model-level file', async () => {
    remote.files.set(`m/${'c'.repeat(300)}.yaml`, Buffer.from('x'));
    remote.files.set('m/1/model.onnx', versionBytes(1));
    remote.files.set(`m/2/${'a'.repeat(256)}`, versionBytes(2));
    const m = mirror();
    await m.sync();
    expect(m.problems()).toEqual([
      {
        name: 'm',
        version: 2,
        reason: `model "m" version 2: file "m/2/${'a'.repeat(196)}" has a path the cache cannot hold (each part 1 to 255 bytes of letters, digits, "_", "." and "-", not starting with ".")`,
      },
    ]);
    expect(await readdir(path.join(cacheDir, 'm'))).not.toContain(`${'c'.repeat(300)}.yaml`);
  });

  it('ignores a model-level object named like a version directory (a folder marker without its slash)', async () => {
    remote.files.set('m/1', Buffer.alloc(0));
    remote.files.set('m/1/model.onnx', versionBytes(1));
    const m = mirror();
    await m.sync();
    // The marker object goes away (the console's folder is cleaned up): the version stays.
    remote.files.delete('m/1');
    await m.sync();
    expect(m.problems()).toEqual([]);
    expect(m.cachedVersions().map((v) => v.version)).toEqual([1]);
    expect(await readdir(path.join(cacheDir, 'm', '1'))).toContain('model.onnx');
  });

  it('says why a directory like "01" is not a version', async () => {
    remote.files.set('m/01/model.onnx', versionBytes(1));
    remote.files.set('m/2/model.onnx', versionBytes(2));
    const m = mirror();
    await m.sync();
    expect(m.cachedVersions().map((v) => v.version)).toEqual([2]);
    expect(m.problems()).toEqual([
      {
        name: 'm',
        version: undefined,
        reason:
          'model "m": directory "01" is ignored: version directories are positive integers without leading zeros (1, 2, 10)',
      },
    ]);
  });

  it('gives up on a manifest that never comes after the list timeout, keeping the cache', async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1));
    const m = new RepositoryMirror({ source: new HttpManifestSource(new URL(remote.url), 200), cacheDir });
    await m.sync();
    remote.silent = true;
    await expect(m.sync()).rejects.toMatchObject({
      name: 'DeadlineExceededError',
      message: `${remote.url}manifest.json: no answer within 200 ms (--repository-list-timeout-ms)`,
    });
    expect(m.cachedVersions().map((v) => v.version)).toEqual([1]);
  });

  it('refuses a non-empty directory that is not a cache, and removes nothing of it', async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1));
    // `--repository-cache-dir ~/work`: its directories would look like models gone remotely.
    await mkdir(path.join(cacheDir, 'important'), { recursive: true });
    await writeFile(path.join(cacheDir, 'important', 'notes.txt'), 'keep me');
    const m = mirror();
    await expect(m.sync()).rejects.toThrow(
      `--repository-cache-dir: ${cacheDir} holds files but is not a model cache (no ${CACHE_STATE_DIR}); point it at a new or empty directory`,
    );
    expect(await readdir(path.join(cacheDir, 'important'))).toEqual(['notes.txt']);
    expect(await readdir(cacheDir)).toEqual(['important']);
  });

  it('a file in the cache where a model directory goes fails that model alone', async () => {
    remote.files.set('a/1/model.onnx', versionBytes(1));
    remote.files.set('b/1/model.onnx', versionBytes(2));
    const m = mirror();
    await m.sync();
    await rm(path.join(cacheDir, 'a'), { recursive: true });
    await writeFile(path.join(cacheDir, 'a'), 'not a directory');
    remote.files.set('b/2/model.onnx', versionBytes(3));
    await m.sync();
    expect(m.cachedVersions().map((v) => `${v.model}/${v.version}`)).toContain('b/2');
    expect(m.problems()).toEqual([
      { name: 'a', version: undefined, reason: expect.stringMatching(/^EEXIST: file already exists, mkdir/) },
    ]);
  });

  it("refuses a version whose lineage.yaml is over the loader's limit without downloading it", async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1));
    remote.files.set('m/1/lineage.yaml', Buffer.alloc(64 * 1024 + 1, 0x61));
    const m = mirror();
    await m.sync();
    expect(m.problems()).toEqual([
      {
        name: 'm',
        version: 1,
        reason: 'model "m" version 1: lineage.yaml is 65537 bytes, over the limit of 65536',
      },
    ]);
    expect(versionGets()).toEqual([]);
  });

  it('refuses a cache directory that cannot be created, naming the flag', async () => {
    await mkdir(path.dirname(cacheDir), { recursive: true });
    await writeFile(cacheDir, 'a file, not a directory');
    const m = mirror(path.join(cacheDir, 'sub'));
    await expect(m.open()).rejects.toThrow(
      `--repository-cache-dir: ${path.join(cacheDir, 'sub')} cannot be used as the cache (ENOTDIR: not a directory`,
    );
    await expect(m.sync()).rejects.toMatchObject({ name: 'FailedPreconditionError' });
  });
});

describe('RepositoryMirror with its cache lock', () => {
  let remote: HttpRepository;
  let cacheDir: string;
  const locks: DataDirLock[] = [];
  /** How many times a mirror asked for the lock. */
  let lockCalls = 0;

  /** A mirror that takes the cache's lock as the model-server does (pid of this process). */
  const lockedMirror = (maxBytes?: number) =>
    new RepositoryMirror({
      source: new HttpManifestSource(new URL(remote.url)),
      cacheDir,
      maxBytes,
      lock: async (dir) => {
        lockCalls++;
        locks.push(
          await DataDirLock.acquire(dir, {
            service: 'model-server',
            flag: '--repository-cache-dir',
            logger: silentLogger(),
            lockFile: CACHE_LOCK_FILE,
          }),
        );
      },
    });
  const lockFile = () => path.join(cacheDir, CACHE_LOCK_FILE);

  beforeEach(async () => {
    remote = new HttpRepository();
    await remote.start();
    cacheDir = path.join(await mkdtemp(path.join(tmpdir(), 'sightline-mirror-')), 'cache');
    lockCalls = 0;
  });

  afterEach(async () => {
    for (const lock of locks.splice(0)) await lock.release();
    await remote.stop();
    await rm(path.dirname(cacheDir), { recursive: true, force: true });
  });

  it("refuses a second mirror on a locked cache before it touches the first one's downloads", async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1));
    const first = lockedMirror();
    await first.sync();
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
    // The first one's download in progress: the second's open would clear tmp/.
    await writeFile(path.join(cacheDir, CACHE_STATE_DIR, 'tmp', 'in-flight'), 'half a model');

    await expect(lockedMirror().sync()).rejects.toThrow(
      `--repository-cache-dir ${cacheDir} is in use by another model-server service (pid ${process.pid}, lock file ${lockFile()}); stop it or use another directory`,
    );
    expect(await readdir(path.join(cacheDir, CACHE_STATE_DIR, 'tmp'))).toEqual(['in-flight']);
    expect(await readdir(path.join(cacheDir, 'm'))).toContain('1');
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('reopens a cache holding the lock of a process gone, as a cache', async () => {
    remote.files.set('m/1/model.onnx', versionBytes(1));
    const first = lockedMirror();
    await first.sync();
    // What a server killed with -9 leaves: its lock with its pid (a pid no process holds).
    await locks.pop()!.release();
    await writeFile(lockFile(), `${2 ** 22 + 1}\n`);

    remote.gets.length = 0;
    const restarted = lockedMirror();
    expect(await restarted.sync()).toEqual({ changed: [], removed: [] });
    expect(remote.gets).toEqual(['manifest.json']);
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('never removes the lock file: eviction, models gone remotely, a load of a missing model', async () => {
    const m = lockedMirror(150);
    remote.files.set('m/1/model.onnx', versionBytes(1));
    await m.sync();
    // Room for one version: 1 is evicted to make room for 2.
    remote.files.set('m/2/model.onnx', versionBytes(2));
    await m.sync();
    expect(m.cachedVersions().map((v) => `${v.model}/${v.version}`)).toEqual(['m/2']);
    remote.files.clear();
    expect(await m.sync()).toEqual({ changed: [], removed: ['m'] });
    expect(await m.syncModel('missing')).toBe(false);
    expect(await readdir(path.join(cacheDir, CACHE_STATE_DIR))).toContain(path.basename(CACHE_LOCK_FILE));
    expect(await readFile(lockFile(), 'utf8')).toBe(`${process.pid}\n`);
  });

  it('refuses a directory of other files without taking the lock or writing anything there', async () => {
    await mkdir(path.join(cacheDir, 'important'), { recursive: true });
    await writeFile(path.join(cacheDir, 'important', 'notes.txt'), 'keep me');
    await expect(lockedMirror().open()).rejects.toThrow(/holds files but is not a model cache/);
    expect(lockCalls).toBe(0);
    expect(await readdir(cacheDir)).toEqual(['important']);
  });
});
