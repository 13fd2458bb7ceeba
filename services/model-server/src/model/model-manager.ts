import { InvalidArgumentError, NotFoundError, quoteName, UnavailableError } from '@sightline/errors';
import { assertModelName, MODEL_NAME_RULE, modelNameProblem } from '../repository/model-name.js';
import type { ModelRepository } from '../repository/model-repository.js';
import type { RuntimeLoader } from '../runtime/runtime-loader.js';
import {
  type LoadedModelVersion,
  type ModelMetadata,
  type ModelVersionStatus,
  platformName,
  type ServedModelConfig,
  servedConfig,
} from './loaded-model.js';
import type { Logger } from './logger.js';
import type { DeviceKind, ModelConfig, ModelRuntime, ModelState, SchedulerFactory } from './types.js';

/** The repository operations the manager uses; {@link ModelRepository} provides them. */
export type ModelSource = Pick<
  ModelRepository,
  | 'listModelNames'
  | 'modelDir'
  | 'hasModel'
  | 'readConfig'
  | 'listVersions'
  | 'versionsToServe'
  | 'versionDir'
  | 'modelPath'
  | 'readLabels'
  | 'readVersionLineage'
>;

/** Server-wide settings that override every model's config. */
export interface ModelManagerOptions {
  /** Runtime instances per version, replacing each config's `instance_count`. */
  readonly instanceCount?: number | undefined;
  /** The device for every model, replacing each config's `device`. */
  readonly device?: DeviceKind | undefined;
  /** When true, loadAll() throws if any model fails (the server then refuses to start). */
  readonly strictStartup?: boolean | undefined;
}

/** A problem of the remote repository, shown in the index (see RepositoryMirror.problems). */
export interface RepositoryProblemView {
  /** The model; empty for the whole repository. */
  readonly name: string;
  readonly version?: number | undefined;
  readonly reason: string;
}

/** A remote repository's hooks: fetch a model before an explicit load, and its problems. */
export interface RemoteRepositoryHooks {
  /** Brings the model's local copy up to date; throws when the remote cannot be read. */
  readonly fetchModel: (name: string) => Promise<unknown>;
  readonly problems: () => readonly RepositoryProblemView[];
  /** Where a version's files came from (`s3://bucket/prefix/iris/3/`). */
  readonly sourceUri: (name: string, version: number) => string;
}

/** What the manager is built from. */
export interface ModelManagerDeps {
  readonly repository: ModelSource;
  /** Set for an object-storage or http repository mirrored into a local cache. */
  readonly remote?: RemoteRepositoryHooks | undefined;
  readonly loadRuntime: RuntimeLoader;
  readonly schedulerFactory: SchedulerFactory;
  readonly logger: Logger;
  readonly options?: ModelManagerOptions;
}

/** How loadAll() went. */
export interface LoadAllResult {
  readonly loaded: readonly string[];
  readonly failed: readonly { readonly name: string; readonly reason: string }[];
}

interface VersionRecord {
  state: ModelState;
  reason: string;
  loaded?: LoadedModelVersion | undefined;
}

interface ModelEntry {
  /** Per version number; READY records hold the loaded version. */
  versions: Map<number, VersionRecord>;
  /** The model's state when no version record says more (a config error, never loaded). */
  status: { state: ModelState; reason: string };
}

const VERSION_PATTERN = /^[1-9][0-9]*$/;

/**
 * Owns the loaded models: loads them from the repository, swaps versions on reload without
 * a restart, and answers which version serves an inference.
 *
 * A load is all-or-nothing: every version the version policy picks must load, or none of
 * the new ones serve and what served before keeps serving. A reload loads the new versions
 * first, switches to them, then drains (scheduler.drain) and disposes the old ones, so no
 * request is dropped. Loads and unloads of one model run one at a time, in call order.
 */
export class ModelManager {
  readonly #repository: ModelSource;
  readonly #loadRuntime: RuntimeLoader;
  readonly #schedulerFactory: SchedulerFactory;
  readonly #logger: Logger;
  readonly #options: ModelManagerOptions;
  readonly #remote: RemoteRepositoryHooks | undefined;
  readonly #models = new Map<string, ModelEntry>();
  readonly #queues = new Map<string, Promise<void>>();
  #shuttingDown = false;

  constructor(deps: ModelManagerDeps) {
    this.#repository = deps.repository;
    this.#loadRuntime = deps.loadRuntime;
    this.#schedulerFactory = deps.schedulerFactory;
    this.#logger = deps.logger;
    this.#options = deps.options ?? {};
    this.#remote = deps.remote;
  }

  /**
   * Loads every model of the repository. A model that fails is FAILED with its reason and
   * the others serve, unless `strictStartup` is set.
   *
   * @throws UnavailableError listing the failures, with `strictStartup` only.
   */
  async loadAll(): Promise<LoadAllResult> {
    const loaded: string[] = [];
    const failed: { name: string; reason: string }[] = [];
    const names = await this.#repository.listModelNames();
    // Every model waiting its turn is known as LOADING from the start, so a request that
    // arrives meanwhile is told to retry (UNAVAILABLE), not that the model does not exist.
    for (const name of names) {
      if (!this.#models.has(name)) {
        this.#models.set(name, {
          versions: new Map(),
          status: { state: 'LOADING', reason: 'waiting for its turn at start-up' },
        });
      }
    }
    for (const name of names) {
      // A directory whose name breaks the rule can never load: FAILED with the rule, shown
      // in the index (directory names are short: the filesystem bounds them).
      const problem = modelNameProblem(name);
      if (problem !== undefined) {
        const reason = `model directory ${quoteName(name)}: a model name must be ${MODEL_NAME_RULE}; ${problem}`;
        this.#models.set(name, { versions: new Map(), status: { state: 'FAILED', reason } });
        failed.push({ name, reason });
        continue;
      }
      try {
        // The caller brought a remote repository's cache up to date just before.
        await this.load(name, undefined, { fetch: false });
        loaded.push(name);
      } catch (error) {
        failed.push({ name, reason: messageOf(error) });
      }
    }
    if (failed.length > 0 && this.#options.strictStartup) {
      throw new UnavailableError(
        `${failed.length} model(s) failed to load: ${failed.map((f) => `${f.name}: ${f.reason}`).join('; ')}`,
      );
    }
    return { loaded, failed };
  }

  /**
   * Loads (or reloads) a model from the repository.
   *
   * @param overrideConfigJson - a complete config in JSON used instead of the config file.
   * @throws InvalidArgumentError for an unsafe name or an invalid config; NotFoundError for
   *   a model or specific version missing from the repository; the runtime's error when a
   *   version fails to load. What served before keeps serving in every case.
   */
  async load(name: string, overrideConfigJson?: string, options: { fetch?: boolean } = {}): Promise<void> {
    assertModelName(name);
    return this.#serialise(name, async () => {
      // An explicit load of a remote model fetches it first; the poller has just fetched.
      if (this.#remote !== undefined && options.fetch !== false) {
        await this.#remote.fetchModel(name).catch((error: unknown) => this.#fail(name, error));
      }
      return this.#load(name, overrideConfigJson);
    });
  }

  /** True while a version of the model is loaded (serving or draining): its files must stay. */
  holdsVersion(name: string, version: number): boolean {
    const record = this.#models.get(name)?.versions.get(version);
    return record?.loaded !== undefined || record?.state === 'LOADING';
  }

  /**
   * Stops serving a model: its versions drain, then are disposed. Unloading a model that
   * exists but is not loaded does nothing.
   *
   * @throws NotFoundError for a model neither loaded nor in the repository.
   */
  async unload(name: string): Promise<void> {
    assertModelName(name);
    return this.#serialise(name, async () => {
      const entry = this.#models.get(name);
      if (entry === undefined) {
        await this.#repository.modelDir(name);
        return;
      }
      await this.#retire(name, entry, [...entry.versions.keys()], 'unloaded');
      entry.status = { state: 'UNAVAILABLE', reason: 'unloaded' };
      this.#logger.info({ model: name }, 'model unloaded');
    });
  }

  /**
   * The version that serves an inference. An empty or absent version means the highest
   * READY one.
   *
   * @throws NotFoundError for an unknown model or version (naming it); UnavailableError when
   *   it is known but not READY (with its state and reason).
   */
  resolve(name: string, version?: string): LoadedModelVersion {
    const entry = this.#models.get(name);
    if (entry === undefined) throw new NotFoundError(`model ${quoteName(name)} not found`);
    if (version === undefined || version === '') {
      const ready = highestReady(entry);
      if (ready === undefined) {
        if (isLoading(entry)) {
          throw new UnavailableError(`model "${name}" is loading and not ready yet; retry shortly`);
        }
        const reasons = describeStates(entry);
        throw new UnavailableError(`model "${name}" has no READY version${reasons ? ` (${reasons})` : ''}`);
      }
      return ready;
    }
    const record = VERSION_PATTERN.test(version) ? entry.versions.get(Number(version)) : undefined;
    if (record === undefined) {
      throw new NotFoundError(`model "${name}" has no version ${quoteName(version)}`);
    }
    if (record.state !== 'READY' || record.loaded === undefined) {
      throw new UnavailableError(
        `model "${name}" version ${version} is ${record.state}${record.reason ? `: ${record.reason}` : ''}`,
      );
    }
    return record.loaded;
  }

  /**
   * {@link resolve}, and for a model the manager never loaded but the repository holds (a
   * directory added after start, say) UnavailableError rather than NotFoundError: the model
   * exists and a RepositoryModelLoad would make it serve, as an unloaded one would. Only
   * the miss touches the disk.
   *
   * @throws as {@link resolve}, with that one difference.
   */
  async resolveServing(name: string, version?: string): Promise<LoadedModelVersion> {
    if (!this.#models.has(name) && (await this.#repository.hasModel(name))) {
      throw new UnavailableError(
        `model "${name}" is in the repository but not loaded; load it with RepositoryModelLoad`,
      );
    }
    return this.resolve(name, version);
  }

  /** Every READY version of `name` (of every model when `name` is empty), by name then version. */
  readyVersions(name?: string): { readonly name: string; readonly version: string }[] {
    const names = name ? [name] : [...this.#models.keys()].sort();
    return names.flatMap((model) => {
      const entry = this.#models.get(model);
      return entry ? readyVersions(entry).map((v) => ({ name: v.name, version: v.version })) : [];
    });
  }

  /** True when {@link resolve} would return a version. */
  isReady(name: string, version?: string): boolean {
    try {
      this.resolve(name, version);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The metadata of a model version (the highest READY one when `version` is empty).
   *
   * @throws as {@link resolve}.
   */
  metadata(name: string, version?: string): ModelMetadata {
    const loaded = this.resolve(name, version);
    const entry = this.#models.get(name)!;
    return {
      name,
      versions: readyVersions(entry).map((v) => v.version),
      platform: platformName(loaded.config.platform),
      inputs: loaded.inputs,
      outputs: loaded.outputs,
      parameters: metadataParameters(loaded),
    };
  }

  /**
   * The configuration of a model version (the highest READY one when `version` is empty),
   * as Triton's ModelConfig answers it.
   *
   * @throws as {@link resolve}.
   */
  config(name: string, version?: string): ServedModelConfig {
    return servedConfig(this.resolve(name, version));
  }

  /**
   * Every model of the repository and every known version with its state and reason.
   * Models in the repository that were never loaded appear once, UNAVAILABLE.
   *
   * @param readyOnly - only READY versions (RepositoryIndex's `ready` flag).
   */
  async index(readyOnly = false): Promise<ModelVersionStatus[]> {
    let onDisk: string[] | undefined;
    try {
      onDisk = await this.#repository.listModelNames();
    } catch (error) {
      this.#logger.warn({ reason: messageOf(error) }, 'model repository cannot be listed');
    }
    if (onDisk !== undefined) this.#forgetDeleted(new Set(onDisk));
    const names = [...new Set([...(onDisk ?? []), ...this.#models.keys()])].sort();
    const rows: ModelVersionStatus[] = [];
    for (const name of names) {
      const entry = this.#models.get(name);
      if (entry === undefined || entry.versions.size === 0) {
        const status = entry?.status ?? { state: 'UNAVAILABLE', reason: 'not loaded' };
        rows.push({ name, version: '', ...status });
        continue;
      }
      for (const [version, record] of [...entry.versions].sort(([a], [b]) => a - b)) {
        rows.push({ name, version: String(version), state: record.state, reason: record.reason });
      }
    }
    const merged = this.#remote ? withRepositoryProblems(rows, this.#remote.problems()) : rows;
    return readyOnly ? merged.filter((row) => row.state === 'READY') : merged;
  }

  /**
   * Forgets models whose directory is gone and that have nothing loaded or loading (an
   * unloaded or FAILED model deleted from the repository): they would otherwise stay in
   * the index as UNAVAILABLE forever. A model still serving stays until it is unloaded.
   */
  #forgetDeleted(onDisk: ReadonlySet<string>): void {
    for (const [name, entry] of this.#models) {
      if (onDisk.has(name) || this.#queues.has(name)) continue;
      const busy = [...entry.versions.values()].some((record) => record.loaded !== undefined);
      if (!busy && entry.status.state !== 'LOADING') this.#models.delete(name);
    }
  }

  /** Refuses new loads, then drains and disposes every loaded version. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    await Promise.all(
      [...this.#models.keys()].map((name) =>
        this.#serialise(name, async () => {
          const entry = this.#models.get(name);
          if (entry === undefined) return;
          await this.#retire(name, entry, [...entry.versions.keys()], 'server shutting down');
          entry.status = { state: 'UNAVAILABLE', reason: 'server shutting down' };
        }),
      ),
    );
  }

  async #load(name: string, overrideConfigJson: string | undefined): Promise<void> {
    if (this.#shuttingDown) throw new UnavailableError(`model "${name}": the server is shutting down`);
    // A model missing from the repository gets no entry; anything wrong past this point is
    // recorded so RepositoryIndex can show it.
    await this.#repository.modelDir(name).catch((error: unknown) => {
      if (error instanceof NotFoundError) {
        // Gone since it was listed: forget it unless something of it still serves.
        const entry = this.#models.get(name);
        if (entry !== undefined && readyVersions(entry).length === 0) this.#models.delete(name);
        throw error;
      }
      this.#fail(name, error);
    });
    let config: ModelConfig;
    let versions: readonly number[];
    try {
      config = this.#applyOverrides(await this.#repository.readConfig(name, overrideConfigJson));
      versions = this.#repository.versionsToServe(config, await this.#repository.listVersions(name));
    } catch (error) {
      this.#fail(name, error);
    }
    const entry = this.#entry(name);
    for (const version of versions) {
      if (entry.versions.get(version)?.state !== 'READY')
        entry.versions.set(version, { state: 'LOADING', reason: '' });
    }
    const settled = await Promise.allSettled(versions.map((version) => this.#loadVersion(config, version)));
    const failures = settled.flatMap((result, index) =>
      result.status === 'rejected' ? [{ version: versions[index]!, error: result.reason as unknown }] : [],
    );
    const fresh = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));

    if (failures.length > 0) {
      await Promise.all(fresh.map((loaded) => this.#dispose(loaded)));
      const summary = failures.map((f) => messageOf(f.error)).join('; ');
      for (const version of versions) {
        const record = entry.versions.get(version)!;
        if (record.state === 'READY') continue; // an old instance of it keeps serving
        const own = failures.find((f) => f.version === version);
        entry.versions.set(version, {
          state: 'FAILED',
          reason: own ? messageOf(own.error) : `not served: another version failed to load (${summary})`,
        });
      }
      if (readyVersions(entry).length === 0) entry.status = { state: 'FAILED', reason: summary };
      this.#logger.error({ model: name, reason: summary }, 'model load failed');
      if (failures.length === 1) throw failures[0]!.error;
      throw new UnavailableError(`model "${name}" failed to load: ${summary}`);
    }

    // Switch: the new versions serve from here on; the old ones then drain.
    const previous = new Map(entry.versions);
    const retiring: LoadedModelVersion[] = [];
    for (const [version, record] of previous) {
      if (record.loaded !== undefined) retiring.push(record.loaded);
      if (!versions.includes(version)) {
        entry.versions.set(version, {
          state: record.loaded ? 'UNLOADING' : 'UNAVAILABLE',
          reason: 'no longer selected by version_policy',
        });
      }
    }
    for (const loaded of fresh)
      entry.versions.set(Number(loaded.version), { state: 'READY', reason: '', loaded });
    entry.status = { state: 'READY', reason: '' };
    this.#logger.info(
      { model: name, versions: fresh.map((v) => v.version), backend: fresh[0]?.backend },
      'model loaded',
    );
    await Promise.all(retiring.map((loaded) => this.#dispose(loaded)));
    for (const [version, record] of entry.versions) {
      if (record.state === 'UNLOADING')
        entry.versions.set(version, { state: 'UNAVAILABLE', reason: record.reason });
    }
  }

  /** Loads one version; its errors name the version (`model "x" version 2: ...`). */
  async #loadVersion(config: ModelConfig, version: number): Promise<LoadedModelVersion> {
    try {
      return await this.#loadVersionInstances(config, version);
    } catch (error) {
      throw namingVersion(error, config.name, version);
    }
  }

  async #loadVersionInstances(config: ModelConfig, version: number): Promise<LoadedModelVersion> {
    // modelPath checks the model file (and the version directory) stay inside the repository.
    await this.#repository.modelPath(config.name, version, config.platform);
    const versionDir = await this.#repository.versionDir(config.name, version);
    const options = { device: config.device, logger: this.#logger };
    const settled = await Promise.allSettled(
      Array.from({ length: config.instanceCount }, () => this.#loadRuntime(config, versionDir, options)),
    );
    const runtimes = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failed = settled.find((result) => result.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(runtimes.map((runtime) => disposeQuietly(runtime, this.#logger)));
      throw failed.reason;
    }
    const first = runtimes[0]!;
    const labels = new Map<string, readonly string[]>();
    try {
      for (const [output, file] of Object.entries(config.labelFiles ?? {})) {
        if (!first.outputs.some((spec) => spec.name === output)) {
          throw new InvalidArgumentError(
            `model "${config.name}": outputs: label_filename given for "${output}", which the model does not produce`,
          );
        }
        labels.set(output, Object.freeze(await this.#repository.readLabels(config.name, file)));
      }
    } catch (error) {
      await Promise.all(runtimes.map((runtime) => disposeQuietly(runtime, this.#logger)));
      throw error;
    }
    let lineage: LoadedModelVersion['lineage'];
    try {
      lineage = (await this.#repository.readVersionLineage(config.name, version)) ?? config.lineage;
    } catch (error) {
      await Promise.all(runtimes.map((runtime) => disposeQuietly(runtime, this.#logger)));
      throw error;
    }
    const scheduler = this.#schedulerFactory({
      name: config.name,
      version: String(version),
      config,
      runtimes,
    });
    return Object.freeze({
      name: config.name,
      version: String(version),
      config,
      runtimes: Object.freeze(runtimes),
      scheduler,
      inputs: first.inputs,
      outputs: first.outputs,
      backend: first.backend,
      labels,
      lineage,
      sourceUri: this.#remote?.sourceUri(config.name, version),
    });
  }

  /** Marks `versions` UNLOADING (so no new work reaches them), drains, disposes, marks UNAVAILABLE. */
  async #retire(name: string, entry: ModelEntry, versions: readonly number[], reason: string): Promise<void> {
    const draining: LoadedModelVersion[] = [];
    for (const version of versions) {
      const record = entry.versions.get(version);
      if (record === undefined) continue;
      if (record.loaded) draining.push(record.loaded);
      entry.versions.set(version, { state: record.loaded ? 'UNLOADING' : 'UNAVAILABLE', reason });
    }
    await Promise.all(draining.map((loaded) => this.#dispose(loaded)));
    for (const version of versions) {
      if (entry.versions.has(version)) entry.versions.set(version, { state: 'UNAVAILABLE', reason });
    }
    this.#logger.info(
      { model: name, versions: draining.map((v) => v.version), reason },
      'model versions retired',
    );
  }

  /** Drains the scheduler (accepted work finishes), then frees the runtimes. Never throws. */
  async #dispose(loaded: LoadedModelVersion): Promise<void> {
    try {
      await loaded.scheduler.drain();
    } catch (error) {
      this.#logger.warn(
        { model: loaded.name, version: loaded.version, reason: messageOf(error) },
        'scheduler drain failed; disposing anyway',
      );
    }
    await Promise.all(loaded.runtimes.map((runtime) => disposeQuietly(runtime, this.#logger)));
  }

  /** Records a model-level failure (no version chosen) unless something still serves, then rethrows. */
  #fail(name: string, error: unknown): never {
    const entry = this.#entry(name);
    const reason = messageOf(error);
    if (readyVersions(entry).length === 0) {
      entry.versions.clear();
      entry.status = { state: 'FAILED', reason };
    }
    this.#logger.error({ model: name, reason }, 'model load failed');
    throw error;
  }

  #entry(name: string): ModelEntry {
    let entry = this.#models.get(name);
    if (entry === undefined) {
      entry = { versions: new Map(), status: { state: 'LOADING', reason: '' } };
      this.#models.set(name, entry);
    }
    return entry;
  }

  #applyOverrides(config: ModelConfig): ModelConfig {
    const { instanceCount, device } = this.#options;
    if (instanceCount !== undefined && (!Number.isSafeInteger(instanceCount) || instanceCount < 1)) {
      throw new InvalidArgumentError(
        `instanceCount override must be a positive integer, got ${instanceCount}`,
      );
    }
    if (instanceCount === undefined && device === undefined) return config;
    return Object.freeze({
      ...config,
      instanceCount: instanceCount ?? config.instanceCount,
      device: device ?? config.device,
    });
  }

  /** Runs `task` after every earlier task for the same model has settled. */
  #serialise<T>(name: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(name) ?? Promise.resolve();
    const result = previous.then(task);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(name, settled);
    void settled.then(() => {
      if (this.#queues.get(name) === settled) this.#queues.delete(name);
    });
    return result;
  }
}

/** The `source_uri` and `lineage.*` parameters of ModelMetadata for a loaded version. */
export function metadataParameters(loaded: LoadedModelVersion): Readonly<Record<string, string>> {
  const parameters: Record<string, string> = {};
  if (loaded.sourceUri !== undefined) parameters.source_uri = loaded.sourceUri;
  for (const [key, value] of Object.entries(loaded.lineage ?? {})) parameters[`lineage.${key}`] = value;
  return parameters;
}

/**
 * The index rows with the remote repository's problems: a version refused by the mirror
 * (checksum, cache full, credentials) is FAILED with its reason unless an older copy of it
 * still serves (READY, with the reason); a model-level problem fails a model with nothing
 * serving; a repository-wide one (bucket gone, credentials refused) is added to every row's
 * reason, states unchanged: what is loaded keeps serving; with no rows at all it is one
 * UNAVAILABLE row named ''.
 */
function withRepositoryProblems(
  rows: readonly ModelVersionStatus[],
  problems: readonly RepositoryProblemView[],
): ModelVersionStatus[] {
  const result = [...rows];
  for (const problem of problems) {
    if (problem.name === '') continue;
    if (problem.version === undefined) {
      const own = result.filter((row) => row.name === problem.name);
      const serving = own.some((row) => row.state === 'READY');
      for (let i = 0; i < result.length; i++) {
        const row = result[i]!;
        if (row.name !== problem.name) continue;
        result[i] = serving
          ? { ...row, reason: joinReasons(row.reason, problem.reason) }
          : { ...row, state: 'FAILED', reason: problem.reason };
      }
      if (own.length === 0)
        result.push({ name: problem.name, version: '', state: 'FAILED', reason: problem.reason });
      continue;
    }
    const version = String(problem.version);
    const at = result.findIndex((row) => row.name === problem.name && row.version === version);
    const row: ModelVersionStatus =
      at >= 0 && result[at]!.state === 'READY'
        ? { ...result[at]!, reason: joinReasons(result[at]!.reason, problem.reason) }
        : { name: problem.name, version, state: 'FAILED', reason: problem.reason };
    if (at >= 0) result[at] = row;
    else result.push(row);
  }
  const repositoryWide = problems.filter((problem) => problem.name === '').map((problem) => problem.reason);
  if (result.length === 0 && repositoryWide.length > 0) {
    // Nothing cached to list (a first start without credentials): one nameless row says why,
    // rather than an empty index.
    return [
      { name: '', version: '', state: 'UNAVAILABLE', reason: `repository: ${repositoryWide.join('; ')}` },
    ];
  }
  const sorted = result
    .filter(
      (row) =>
        !(row.version === '' && result.some((other) => other.name === row.name && other.version !== '')),
    )
    .sort((a, b) => a.name.localeCompare(b.name) || Number(a.version) - Number(b.version));
  if (repositoryWide.length === 0) return sorted;
  return sorted.map((row) => ({
    ...row,
    reason: joinReasons(row.reason, `repository: ${repositoryWide.join('; ')}`),
  }));
}

function joinReasons(first: string, second: string): string {
  return first === '' ? second : `${first}; ${second}`;
}

/** The highest READY version, without the arrays of readyVersions (resolve is on every request). */
function highestReady(entry: ModelEntry): LoadedModelVersion | undefined {
  let highest = -1;
  let loaded: LoadedModelVersion | undefined;
  for (const [version, record] of entry.versions) {
    if (record.state === 'READY' && record.loaded !== undefined && version > highest) {
      highest = version;
      loaded = record.loaded;
    }
  }
  return loaded;
}

/** True while a load of a model with nothing serving is under way or waiting its turn. */
function isLoading(entry: ModelEntry): boolean {
  if (entry.versions.size === 0) return entry.status.state === 'LOADING';
  for (const record of entry.versions.values()) if (record.state === 'LOADING') return true;
  return false;
}

function readyVersions(entry: ModelEntry): LoadedModelVersion[] {
  return [...entry.versions]
    .filter(([, record]) => record.state === 'READY' && record.loaded !== undefined)
    .sort(([a], [b]) => a - b)
    .map(([, record]) => record.loaded!);
}

function describeStates(entry: ModelEntry): string {
  if (entry.versions.size === 0) {
    return `${entry.status.state}${entry.status.reason ? `: ${entry.status.reason}` : ''}`;
  }
  return [...entry.versions]
    .map(
      ([version, record]) => `version ${version} ${record.state}${record.reason ? `: ${record.reason}` : ''}`,
    )
    .join('; ');
}

async function disposeQuietly(runtime: ModelRuntime, logger: Logger): Promise<void> {
  try {
    await runtime.dispose();
  } catch (error) {
    logger.warn({ reason: messageOf(error) }, 'runtime dispose failed');
  }
}

/**
 * `error` with its message naming the version: runtimes know the model, not which of its
 * versions they load. The message is rewritten in place, so the error keeps its class (and
 * so its status code), its cause and its stack; each load makes its own errors.
 */
function namingVersion(error: unknown, name: string, version: number): unknown {
  if (!(error instanceof Error)) return error;
  const label = `model "${name}" version ${version}`;
  if (error.message.startsWith(label)) return error;
  const prefix = `model "${name}": `;
  const rest = error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  error.message = `${label}: ${rest}`;
  return error;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
