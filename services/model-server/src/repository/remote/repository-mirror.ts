import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import type { VersionPolicy } from '../../model/types.js';
import { CONFIG_FILE_NAMES, parseModelConfigText } from '../model-config.js';
import { isModelName } from '../model-name.js';
import { LINEAGE_FILE_NAMES, MAX_LINEAGE_FILE_BYTES } from '../model-repository.js';
import { versionsToServe } from '../version-policy.js';
import { type CachedVersionInfo, chooseEvictions } from './lru-eviction.js';
import type { ObjectSource, RemoteObject } from './object-source.js';
import {
  checksumKey,
  fingerprintOf,
  groupByModel,
  isCacheablePart,
  type ModelFiles,
  PATH_PART_RULE,
  VERSION_DIR,
} from './remote-listing.js';
import { downloadVerified } from './verified-download.js';

/** Default bound on the bytes of complete versions kept in the cache: 10 GiB. */
export const DEFAULT_CACHE_MAX_BYTES = 10 * 1024 ** 3;

/** Default time one file's download may take, in ms: 10 minutes (a few GB on a slow link). */
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 600_000;

/** Largest model-level file (config, labels) fetched, in bytes; these are not counted in the cache bound. */
export const MAX_MODEL_FILE_BYTES = 64 * 1024 * 1024;

/** The cache's own directory inside the cache root; hidden, so the repository never lists it. */
export const CACHE_STATE_DIR = '.sightline-cache';

/**
 * The cache's lock file (the holding server's pid), inside {@link CACHE_STATE_DIR}: no model
 * name starts with `.`, so no model, download, eviction or removal ever names it, and the
 * "not a model cache" check of a directory sees only the state directory it lives in.
 */
export const CACHE_LOCK_FILE = `${CACHE_STATE_DIR}/model-server.lock`;

/** Written into a version directory before it is renamed into place: it marks it complete. */
export const VERSION_MARKER_FILE = '.sightline-version.json';

/** Written into a model directory: the model-level files and the checksums they came with. */
const MODEL_MARKER_FILE = '.sightline-model.json';

const DEFAULT_POLICY: VersionPolicy = { kind: 'latest', numVersions: 1 };

/** Download figures, for the Prometheus metrics. */
export interface MirrorObserver {
  /** A file's bytes arrived (counted as they stream, failed downloads too). */
  bytes(count: number): void;
  /** A version finished downloading, or failed to. */
  version(seconds: number, ok: boolean): void;
  /** The bytes of complete versions in the cache changed. */
  cacheBytes(total: number): void;
}

/** What a mirror is built from. */
export interface RepositoryMirrorOptions {
  readonly source: ObjectSource;
  /** The cache root; it is also the local repository the models load from. */
  readonly cacheDir: string;
  readonly maxBytes?: number | undefined;
  readonly downloadTimeoutMs?: number | undefined;
  /** True while a version is loaded (serving or draining): it is never evicted. */
  readonly isServed?: ((model: string, version: number) => boolean) | undefined;
  readonly observer?: MirrorObserver | undefined;
  /**
   * Takes the cache's exclusive lock ({@link CACHE_LOCK_FILE}): one server per cache, since
   * each one removes the downloads and versions the other's listing does not explain.
   * {@link RepositoryMirror.open} calls it once the directory is known to be new, empty or a
   * cache, before it changes anything there; its refusal stops the open as it is.
   */
  readonly lock?: ((cacheDir: string) => Promise<void>) | undefined;
  readonly now?: () => number;
}

/** A problem the last sync met: of a version, of a model (no version), or of the whole repository. */
export interface RepositoryProblem {
  readonly name: string;
  readonly version?: number | undefined;
  readonly reason: string;
}

/** What a sync changed on disk. */
export interface SyncResult {
  /** Models whose files changed (added, updated or versions removed): to (re)load. */
  readonly changed: readonly string[];
  /** Models gone from the remote repository: to unload. */
  readonly removed: readonly string[];
}

interface VersionMarker {
  readonly fingerprint: string;
  readonly bytes: number;
  readonly source: string;
  readonly completedAt: string;
}

interface CachedVersion extends CachedVersionInfo {
  readonly fingerprint: string;
  lastUsedMs: number;
}

/**
 * Mirrors a remote model repository into a local cache directory laid out as a local
 * repository (`<cache>/<model>/config.yaml`, `<cache>/<model>/<version>/...`), which the
 * {@link ModelRepository} then reads as it reads any directory.
 *
 * - Only the versions the model's version_policy picks out of the remote listing are
 *   downloaded; versions already complete in the cache with the same files (paths, sizes
 *   and checksums) are reused, also after a restart.
 * - A version is downloaded into a temporary directory, each file checked against its
 *   size and checksum (the S3 ETag's MD5, or the manifest's SHA-256), marked complete, and
 *   only then renamed into place: a half-downloaded version is never visible.
 * - The complete versions' bytes stay within `maxBytes`: least recently used versions are
 *   evicted first, never one that is loaded or wanted by its policy; a version that cannot
 *   fit is refused with its reason.
 * - A failed version is refused alone (its reason in {@link problems}); the others, and
 *   whatever is cached, keep serving. A listing that fails keeps everything as it is.
 *
 * One mirror owns its cache directory (enforced by the `lock` it is given); syncs run one
 * at a time.
 */
export class RepositoryMirror {
  readonly source: ObjectSource;
  readonly root: string;
  readonly #stateDir: string;
  readonly #maxBytes: number;
  readonly #timeoutMs: number;
  readonly #isServed: (model: string, version: number) => boolean;
  readonly #observer: MirrorObserver | undefined;
  readonly #lock: ((cacheDir: string) => Promise<void>) | undefined;
  readonly #now: () => number;
  readonly #cached = new Map<string, CachedVersion>();
  readonly #problems = new Map<string, Map<number | undefined, string>>();
  /** Versions refused for their content (checksum, size, path), by fingerprint: not fetched again until they change. */
  readonly #refused = new Map<string, { readonly fingerprint: string; readonly reason: string }>();
  #repositoryProblem: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #opened: Promise<void> | undefined;

  constructor(options: RepositoryMirrorOptions) {
    this.source = options.source;
    this.root = path.resolve(options.cacheDir);
    this.#stateDir = path.join(this.root, CACHE_STATE_DIR);
    this.#maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
    this.#timeoutMs = options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS;
    this.#isServed = options.isServed ?? (() => false);
    this.#observer = options.observer;
    this.#lock = options.lock;
    this.#now = options.now ?? Date.now;
  }

  /** The bytes of complete versions in the cache. */
  get cachedBytes(): number {
    let total = 0;
    for (const version of this.#cached.values()) total += version.bytes;
    return total;
  }

  /** The complete versions in the cache, by model then version. */
  cachedVersions(): CachedVersionInfo[] {
    return [...this.#cached.values()]
      .map(({ model, version, bytes, lastUsedMs }) => ({ model, version, bytes, lastUsedMs }))
      .sort((a, b) => a.model.localeCompare(b.model) || a.version - b.version);
  }

  /** The problems the last syncs met, by model and version; the repository's own under name ''. */
  problems(): RepositoryProblem[] {
    const rows: RepositoryProblem[] = [];
    if (this.#repositoryProblem !== undefined) rows.push({ name: '', reason: this.#repositoryProblem });
    for (const [name, byVersion] of this.#problems) {
      for (const [version, reason] of byVersion) rows.push({ name, version, reason });
    }
    return rows;
  }

  /**
   * Prepares the cache: removes partial downloads left by a crash, and indexes the complete
   * versions (those without a completion marker are removed). Idempotent.
   */
  open(): Promise<void> {
    this.#opened ??= this.#open();
    return this.#opened;
  }

  /** Lists the whole remote repository and brings every model's cache up to date. */
  sync(): Promise<SyncResult> {
    return this.#exclusive(async () => {
      await this.open();
      let objects: RemoteObject[];
      try {
        objects = await this.source.list();
      } catch (error) {
        // Keep serving what is cached; the reason shows in RepositoryIndex.
        this.#repositoryProblem = `${messageOf(error)}; serving what is cached`;
        throw error;
      }
      this.#repositoryProblem = undefined;
      const byModel = groupByModel(objects);
      const changed: string[] = [];
      for (const [name, files] of byModel) {
        if (await this.#syncModel(name, files)) changed.push(name);
      }
      const removed: string[] = [];
      for (const name of await this.#localModels()) {
        if (byModel.has(name)) continue;
        await this.#removeModel(name);
        removed.push(name);
      }
      return { changed, removed };
    });
  }

  /**
   * Brings one model's cache up to date (RepositoryModelLoad fetches at once).
   *
   * @returns true when its files changed; a model gone from the remote is removed locally
   *   (the load then answers NOT_FOUND).
   * @throws the listing's error (the cache stays as it was).
   */
  syncModel(name: string): Promise<boolean> {
    return this.#exclusive(async () => {
      await this.open();
      let objects: RemoteObject[];
      try {
        objects = await this.source.list(`${name}/`);
      } catch (error) {
        // Shown in RepositoryIndex until a sync of the model succeeds.
        this.#problems.set(name, new Map([[undefined, messageOf(error)]]));
        throw error;
      }
      const files = groupByModel(objects).get(name);
      if (files === undefined) {
        const existed = (await this.#localModels()).includes(name);
        await this.#removeModel(name);
        return existed;
      }
      return this.#syncModel(name, files);
    });
  }

  async #open(): Promise<void> {
    // The mirror removes every directory the remote lacks: a directory of other files
    // (`--repository-cache-dir ~/work`) would lose them all at the first sync.
    const existing = await readdir(this.root).catch(() => [] as string[]);
    if (existing.some((entry) => !entry.startsWith('.')) && !existing.includes(CACHE_STATE_DIR)) {
      throw new FailedPreconditionError(
        `--repository-cache-dir: ${this.root} holds files but is not a model cache (no ${CACHE_STATE_DIR}); point it at a new or empty directory`,
      );
    }
    try {
      await mkdir(this.root, { recursive: true });
      // Locked before the first change: another server's downloads in tmp/ are its own.
      await this.#lock?.(this.root);
      await rm(path.join(this.#stateDir, 'tmp'), { recursive: true, force: true });
      await mkdir(path.join(this.#stateDir, 'tmp'), { recursive: true });
    } catch (error) {
      // The lock's refusal is its own sentence (the holder's pid), said as it is.
      if (!isSystemError(error)) throw error;
      // A path under a file, a read-only or full disk: said once at start, naming the flag.
      throw new FailedPreconditionError(
        `--repository-cache-dir: ${this.root} cannot be used as the cache (${messageOf(error)})`,
        { cause: error },
      );
    }
    for (const model of await this.#localModels()) {
      const modelDir = path.join(this.root, model);
      for (const entry of await readdir(modelDir, { withFileTypes: true })) {
        if (!entry.isDirectory() || !VERSION_DIR.test(entry.name)) continue;
        const versionDir = path.join(modelDir, entry.name);
        const marker = await readMarker(versionDir);
        if (marker === undefined) {
          await rm(versionDir, { recursive: true, force: true });
          continue;
        }
        const lastUsedMs = Date.parse(marker.completedAt);
        this.#cached.set(key(model, Number(entry.name)), {
          model,
          version: Number(entry.name),
          bytes: marker.bytes,
          fingerprint: marker.fingerprint,
          lastUsedMs: Number.isFinite(lastUsedMs) ? lastUsedMs : 0,
        });
      }
    }
    this.#observer?.cacheBytes(this.cachedBytes);
  }

  /** @returns true when anything of the model changed on disk. */
  async #syncModel(name: string, files: ModelFiles): Promise<boolean> {
    const problems = new Map<number | undefined, string>();
    this.#problems.set(name, problems);
    if (!isModelName(name)) {
      problems.set(
        undefined,
        `model directory "${name.slice(0, 64)}" in ${this.source.uri}: not a valid model name`,
      );
      return false;
    }
    if (files.ignoredVersionDirs.size > 0) {
      const dirs = [...files.ignoredVersionDirs].sort().map((dir) => `"${dir.slice(0, 32)}"`);
      problems.set(
        undefined,
        `model "${name}": ${dirs.length === 1 ? 'directory' : 'directories'} ${dirs.join(', ')} ${dirs.length === 1 ? 'is' : 'are'} ignored: version directories are positive integers without leading zeros (1, 2, 10)`,
      );
    }
    const modelDir = path.join(this.root, name);
    let changed = false;
    try {
      // Inside the try: a stray file where the directory goes fails this model, not the sync.
      await mkdir(modelDir, { recursive: true });
      changed = await this.#syncModelFiles(name, modelDir, files.modelFiles);
    } catch (error) {
      problems.set(undefined, messageOf(error));
      return false;
    }

    const remoteVersions = [...files.versions.keys()].sort((a, b) => a - b);
    const wanted = await this.#wantedVersions(name, modelDir, remoteVersions);
    for (const version of wanted) {
      const objects = files.versions.get(version)!;
      try {
        if (await this.#syncVersion(name, version, objects, wanted)) changed = true;
      } catch (error) {
        problems.set(version, messageOf(error));
      }
    }
    // Versions gone from the remote leave the cache (the reload unloads them).
    for (const cached of [...this.#cached.values()]) {
      if (cached.model === name && !files.versions.has(cached.version)) {
        await this.#evict(cached);
        changed = true;
      }
    }
    return changed;
  }

  /** Model-level files (config, labels): replaced when their checksum changes, removed when gone. */
  async #syncModelFiles(name: string, modelDir: string, objects: readonly RemoteObject[]): Promise<boolean> {
    const markerPath = path.join(modelDir, MODEL_MARKER_FILE);
    const previous = (await readJson<Record<string, string>>(markerPath)) ?? {};
    const next: Record<string, string> = {};
    let changed = false;
    for (const object of objects) {
      const file = object.path.slice(name.length + 1);
      if (object.size > MAX_MODEL_FILE_BYTES) {
        throw new ResourceExhaustedError(
          `${this.source.uri}${object.path}: ${object.size} bytes, over the limit of ${MAX_MODEL_FILE_BYTES} for a file beside the version directories`,
        );
      }
      const checksum = checksumKey(object);
      next[file] = checksum;
      if (previous[file] === checksum) continue;
      const temp = path.join(this.#stateDir, 'tmp', randomUUID());
      await this.#download(object, temp);
      await rename(temp, path.join(modelDir, file));
      changed = true;
    }
    for (const file of Object.keys(previous)) {
      if (next[file] === undefined) {
        await rm(path.join(modelDir, file), { force: true });
        changed = true;
      }
    }
    if (changed || Object.keys(previous).length !== Object.keys(next).length) {
      await writeFile(markerPath, JSON.stringify(next));
    }
    return changed;
  }

  /** The remote versions the model's policy picks (the default, latest 1, when the config is unreadable). */
  async #wantedVersions(name: string, modelDir: string, remote: readonly number[]): Promise<number[]> {
    if (remote.length === 0) return [];
    let policy = DEFAULT_POLICY;
    for (const file of CONFIG_FILE_NAMES) {
      let text: string;
      try {
        text = await readFile(path.join(modelDir, file), 'utf8');
      } catch {
        continue;
      }
      try {
        policy = parseModelConfigText(text, file.endsWith('.json') ? 'json' : 'yaml', {
          modelName: name,
          label: file,
          inferredPlatform: 'onnx',
        }).versionPolicy;
      } catch {
        // The load reports the config's problems; download what the default picks meanwhile.
      }
      break;
    }
    try {
      return [...versionsToServe(name, policy, remote)];
    } catch {
      // `specific` versions missing remotely: fetch those present; the load names the rest.
      return policy.kind === 'specific' ? policy.versions.filter((v) => remote.includes(v)) : [];
    }
  }

  /** @returns true when the version was downloaded (new or changed). */
  async #syncVersion(
    name: string,
    version: number,
    objects: readonly RemoteObject[],
    wanted: readonly number[],
  ): Promise<boolean> {
    const fingerprint = fingerprintOf(name, version, objects);
    const cached = this.#cached.get(key(name, version));
    if (cached?.fingerprint === fingerprint) {
      cached.lastUsedMs = this.#now();
      return false;
    }
    const refused = this.#refused.get(key(name, version));
    if (refused?.fingerprint === fingerprint) throw new InvalidArgumentError(refused.reason);
    try {
      return await this.#fetchVersion(name, version, objects, wanted, fingerprint, cached);
    } catch (error) {
      // Bad content stays bad until it is uploaded again; a network error is retried next poll.
      if (error instanceof InvalidArgumentError) {
        this.#refused.set(key(name, version), { fingerprint, reason: error.message });
      }
      throw error;
    }
  }

  async #fetchVersion(
    name: string,
    version: number,
    objects: readonly RemoteObject[],
    wanted: readonly number[],
    fingerprint: string,
    cached: CachedVersion | undefined,
  ): Promise<boolean> {
    const bytes = objects.reduce((sum, object) => sum + object.size, 0);
    const what = `model "${name}" version ${version}`;
    for (const object of objects) {
      const parts = object.path.split('/').slice(2);
      if (!parts.every(isCacheablePart)) {
        throw new InvalidArgumentError(
          `${what}: file "${object.path.slice(0, 200)}" has a path the cache cannot hold (${PATH_PART_RULE})`,
        );
      }
    }
    // The loader refuses a larger lineage file: not worth downloading a version for.
    for (const object of objects) {
      const file = object.path.split('/').slice(2).join('/');
      if ((LINEAGE_FILE_NAMES as readonly string[]).includes(file) && object.size > MAX_LINEAGE_FILE_BYTES) {
        throw new InvalidArgumentError(
          `${what}: ${file} is ${object.size} bytes, over the limit of ${MAX_LINEAGE_FILE_BYTES}`,
        );
      }
    }
    // S3 keys `a` and `a/b` may both exist; a directory tree cannot hold both.
    const paths = new Set(objects.map((object) => object.path));
    for (const object of objects) {
      const parts = object.path.split('/');
      for (let end = 3; end < parts.length; end++) {
        const directory = parts.slice(0, end).join('/');
        if (paths.has(directory)) {
          throw new InvalidArgumentError(
            `${what}: file "${directory.slice(0, 200)}" is also the directory of "${object.path.slice(0, 200)}"; the cache cannot hold both`,
          );
        }
      }
    }
    const pinned = (candidate: CachedVersionInfo) =>
      (candidate.model === name && wanted.includes(candidate.version)) ||
      this.#isServed(candidate.model, candidate.version);
    // The version it replaces leaves the cache when the new one lands: not counted twice.
    const others = [...this.#cached.values()].filter((entry) => entry !== cached);
    const evictions = chooseEvictions(others, pinned, bytes, this.#maxBytes);
    if (evictions === undefined) {
      const held = others.filter(pinned).reduce((sum, entry) => sum + entry.bytes, 0);
      throw new ResourceExhaustedError(
        `${what}: needs ${bytes} bytes in the cache, but --repository-cache-max-bytes is ${this.#maxBytes} and ${held} bytes hold versions being served or wanted`,
      );
    }
    for (const evicted of evictions)
      await this.#evict(this.#cached.get(key(evicted.model, evicted.version))!);

    const started = performance.now();
    const temp = path.join(this.#stateDir, 'tmp', randomUUID());
    try {
      for (const object of objects) {
        const target = path.join(temp, ...object.path.split('/').slice(2));
        await mkdir(path.dirname(target), { recursive: true });
        await this.#download(object, target);
      }
      const marker: VersionMarker = {
        fingerprint,
        bytes,
        source: `${this.source.uri}${name}/${version}/`,
        completedAt: new Date(this.#now()).toISOString(),
      };
      await writeFile(path.join(temp, VERSION_MARKER_FILE), JSON.stringify(marker));
      const target = path.join(this.root, name, String(version));
      // Replace atomically: the old directory moves aside, the new one in, the old is removed.
      const aside = path.join(this.#stateDir, 'tmp', `${randomUUID()}-old`);
      await rename(target, aside).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error;
      });
      await rename(temp, target);
      await rm(aside, { recursive: true, force: true });
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      this.#observer?.version((performance.now() - started) / 1000, false);
      throw error;
    }
    this.#observer?.version((performance.now() - started) / 1000, true);
    this.#cached.set(key(name, version), {
      model: name,
      version,
      bytes,
      fingerprint,
      lastUsedMs: this.#now(),
    });
    this.#observer?.cacheBytes(this.cachedBytes);
    return true;
  }

  #download(object: RemoteObject, target: string): Promise<void> {
    return downloadVerified(this.source, object, target, {
      timeoutMs: this.#timeoutMs,
      onBytes: (count) => this.#observer?.bytes(count),
    });
  }

  async #evict(cached: CachedVersion): Promise<void> {
    await rm(path.join(this.root, cached.model, String(cached.version)), { recursive: true, force: true });
    this.#cached.delete(key(cached.model, cached.version));
    this.#observer?.cacheBytes(this.cachedBytes);
  }

  async #removeModel(name: string): Promise<void> {
    for (const cached of [...this.#cached.values()])
      if (cached.model === name) this.#cached.delete(key(name, cached.version));
    this.#problems.delete(name);
    await rm(path.join(this.root, name), { recursive: true, force: true });
    this.#observer?.cacheBytes(this.cachedBytes);
  }

  async #localModels(): Promise<string[]> {
    const entries = await readdir(this.root, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name);
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(task);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}

function key(model: string, version: number): string {
  return `${model}/${version}`;
}

async function readMarker(versionDir: string): Promise<VersionMarker | undefined> {
  const marker = await readJson<VersionMarker>(path.join(versionDir, VERSION_MARKER_FILE));
  if (marker === undefined || typeof marker.fingerprint !== 'string' || !Number.isSafeInteger(marker.bytes)) {
    return undefined;
  }
  return marker;
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    if (!(await stat(file)).isFile()) return undefined;
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** An error of the file system (it has an errno code: ENOTDIR, EACCES, ENOSPC...). */
function isSystemError(error: unknown): boolean {
  return typeof (error as NodeJS.ErrnoException | undefined)?.code === 'string';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
