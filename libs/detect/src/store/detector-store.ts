/**
 * Fitted detector versions in a data directory: `<dir>/<name>/v<N>/{detector.json,
 * reference.bin}` plus the fitted state's own files (the autoencoder's `model.json` and
 * `weights.bin`), listed with their checksums in detector.json. A version is written whole
 * (every file) into a temporary directory, flushed, renamed
 * into place and the parent directory flushed, so a crash leaves it whole or absent. Old
 * versions stay until deleted. A version that cannot be read is refused alone and reported;
 * the others keep serving.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, NotFoundError, quoteName } from '@sightline/errors';
import type { FittedState } from '../kinds/detector-kind.js';
import {
  DETECTOR_JSON_FILE,
  type DetectorLineage,
  decodeDetector,
  encodeDetector,
  listedFileNames,
  parseDetectorJson,
  REFERENCE_BIN_FILE,
} from './saved-format.js';

/**
 * Detector names: a DNS label, 1 to 63 of a-z, 0-9 and '-', neither starting nor ending with
 * '-' (they are directory names, metric labels and, in a cluster, parts of resource names).
 */
export const DETECTOR_NAME_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * The names an earlier version accepted (a leading or trailing '-' allowed): a detector saved
 * under one still loads, serves and can be deleted; only new names must be DNS labels.
 */
export const SAVED_DETECTOR_NAME_PATTERN = /^[a-z0-9-]{1,63}$/;

const VERSION_DIR = /^v([1-9][0-9]{0,9})$/;
const TEMPORARY_DIR = /^\.v\d+\.\d+\.[0-9a-f]+\.tmp$/;
/** How many times a save takes the next version number when another writer took its number. */
export const SAVE_VERSION_RETRIES = 16;

/** A saved version that could not be read. */
export interface DetectorLoadFailure {
  readonly detector: string;
  readonly version: number;
  /** The version's directory. */
  readonly path: string;
  readonly reason: string;
}

/** A version as saved. */
export interface SavedDetector {
  readonly name: string;
  readonly version: number;
  readonly lineage: DetectorLineage;
  readonly state: FittedState;
}

/** What a save records beside the state. */
export interface SaveRequest {
  readonly state: FittedState;
  /** sha256 of the reference table (`referenceDigest`). */
  readonly referenceSha256: string;
  readonly referenceSource?: string;
  /** Events of a stored range left out, per reason (lineage `reference.skippedEvents`). */
  readonly referenceSkippedEvents?: Readonly<Record<string, number>>;
  readonly creator?: string;
}

/** One detector's versions. */
export interface DetectorSummary {
  readonly name: string;
  /** Readable versions, ascending. */
  readonly versions: readonly number[];
  /** The newest readable version. */
  readonly latest: number | undefined;
  readonly kind: string | undefined;
  readonly failures: readonly DetectorLoadFailure[];
}

/** Options of {@link DetectorStore}. */
export interface DetectorStoreOptions {
  readonly dataDir: string;
  /** Written into each version's lineage. */
  readonly sightlineVersion: string;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

interface VersionEntry {
  readonly lineage: DetectorLineage;
}

/**
 * Checks a detector name.
 * @throws InvalidArgumentError stating the rule.
 */
export function checkDetectorName(name: string): void {
  if (!DETECTOR_NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(
      `detector name ${quoteName(name)} must be 1 to 63 of a-z, 0-9 and '-', starting and ending with a letter or digit (rule "name.format")`,
      { field: 'name' },
    );
  }
}

/**
 * Checks the name of a detector that may have been saved by an earlier version (reads, attach,
 * delete): {@link SAVED_DETECTOR_NAME_PATTERN}, which still keeps it a safe directory name.
 * @throws InvalidArgumentError stating the rule.
 */
export function checkSavedDetectorName(name: string): void {
  if (!SAVED_DETECTOR_NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(
      `detector name ${quoteName(name)} must be 1 to 63 of a-z, 0-9 and '-' (rule "name.format")`,
      { field: 'name' },
    );
  }
}

async function writeFileSynced(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Persistence of fitted detector versions with lineage. */
export class DetectorStore {
  private readonly versions = new Map<string, Map<number, VersionEntry>>();
  private readonly failed = new Map<string, DetectorLoadFailure[]>();
  /** Saves and deletes of one name run one after another, so version numbers are not raced. */
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly now: () => number;

  constructor(private readonly options: DetectorStoreOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Reads every saved version (creating the directory when absent) and removes temporary
   * directories left by interrupted saves. Never throws for one bad version.
   */
  async load(): Promise<{ readonly detectors: number; readonly failures: readonly DetectorLoadFailure[] }> {
    await mkdir(this.options.dataDir, { recursive: true });
    this.versions.clear();
    this.failed.clear();
    for (const entry of await readdir(this.options.dataDir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !SAVED_DETECTOR_NAME_PATTERN.test(entry.name)) continue;
      const dir = join(this.options.dataDir, entry.name);
      for (const child of await readdir(dir, { withFileTypes: true })) {
        if (TEMPORARY_DIR.test(child.name)) {
          await rm(join(dir, child.name), { recursive: true, force: true });
          continue;
        }
        const match = VERSION_DIR.exec(child.name);
        if (!match || !child.isDirectory()) continue;
        const version = Number(match[1]);
        try {
          const saved = await this.read(entry.name, version);
          this.remember(entry.name, version, { lineage: saved.lineage });
        } catch (error) {
          this.fail(entry.name, version, (error as Error).message);
        }
      }
    }
    return { detectors: this.names().length, failures: this.failures() };
  }

  /** Every version that could not be read, by detector. */
  failures(): DetectorLoadFailure[] {
    return [...this.failed.values()].flat();
  }

  /** Every detector with at least one version (readable or not), sorted by name. */
  list(): DetectorSummary[] {
    return this.names().map((name) => this.summary(name)!);
  }

  /** One detector's summary, or undefined when it has no version. */
  summary(name: string): DetectorSummary | undefined {
    const versions = [...(this.versions.get(name)?.keys() ?? [])].sort((a, b) => a - b);
    const failures = this.failed.get(name) ?? [];
    if (versions.length === 0 && failures.length === 0) return undefined;
    const latest = versions.at(-1);
    return {
      name,
      versions,
      latest,
      kind: latest === undefined ? undefined : this.versions.get(name)!.get(latest)!.lineage.kind,
      failures,
    };
  }

  /**
   * Version `version` of `name`, or its newest readable version.
   * @throws NotFoundError for an unknown detector or version; FailedPreconditionError for a
   *   version that could not be read (saying why and what to do).
   */
  async get(name: string, version?: number): Promise<SavedDetector> {
    checkSavedDetectorName(name);
    const summary = this.summary(name);
    if (summary === undefined) throw new NotFoundError(`detector ${quoteName(name)} does not exist`);
    const wanted = version ?? summary.latest;
    const failure = summary.failures.find((f) => f.version === wanted);
    if (failure !== undefined || wanted === undefined) {
      const which = failure ?? summary.failures.at(-1)!;
      throw new FailedPreconditionError(
        `detector ${quoteName(name)} version ${which.version} is unreadable (${which.reason}); delete it or fit the detector again`,
      );
    }
    if (!summary.versions.includes(wanted)) {
      throw new NotFoundError(
        `detector ${quoteName(name)} has no version ${wanted}; its versions are ${summary.versions.join(', ')}`,
      );
    }
    try {
      return await this.read(name, wanted);
    } catch (error) {
      if (error instanceof NotFoundError) throw error;
      this.versions.get(name)?.delete(wanted);
      this.fail(name, wanted, (error as Error).message);
      throw new FailedPreconditionError(
        `detector ${quoteName(name)} version ${wanted} is unreadable (${(error as Error).message}); delete it or fit the detector again`,
      );
    }
  }

  /**
   * Refuses a version that was read but is not usable (its kind's checks failed): it leaves
   * the readable versions and joins {@link failures}, as an unreadable one does; its files
   * stay until deleted.
   */
  refuse(name: string, version: number, reason: string): void {
    this.versions.get(name)?.delete(version);
    this.fail(name, version, reason);
  }

  /**
   * Saves `request.state` as the next version of `name` (1 for a new detector).
   * @throws InvalidArgumentError for a bad name.
   */
  async save(name: string, request: SaveRequest): Promise<SavedDetector> {
    checkDetectorName(name);
    return this.serialised(name, () => this.saveNow(name, request));
  }

  /**
   * Deletes one version, or the whole detector when `version` is undefined.
   * @throws NotFoundError when there is nothing of that name or version.
   */
  async delete(name: string, version?: number): Promise<void> {
    checkSavedDetectorName(name);
    await this.serialised(name, async () => {
      const summary = this.summary(name);
      const known =
        summary &&
        (version === undefined ||
          [...summary.versions, ...summary.failures.map((f) => f.version)].includes(version));
      if (!known) {
        throw new NotFoundError(
          `detector ${quoteName(name)}${version === undefined ? '' : ` version ${version}`} does not exist`,
        );
      }
      const dir = join(this.options.dataDir, name);
      if (version === undefined) {
        await rm(dir, { recursive: true, force: true });
        this.versions.delete(name);
        this.failed.delete(name);
      } else {
        await rm(join(dir, `v${version}`), { recursive: true, force: true });
        this.versions.get(name)?.delete(version);
        this.failed.set(
          name,
          (this.failed.get(name) ?? []).filter((f) => f.version !== version),
        );
      }
      await syncDirectory(version === undefined ? this.options.dataDir : dir);
    });
  }

  private async saveNow(name: string, request: SaveRequest): Promise<SavedDetector> {
    const dir = join(this.options.dataDir, name);
    await mkdir(dir, { recursive: true });
    const taken = (await readdir(dir))
      .map((n) => VERSION_DIR.exec(n))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]));
    let version = Math.max(0, ...taken) + 1;
    const previous = this.summary(name)?.latest;
    for (let attempt = 0; ; attempt++) {
      const lineage: DetectorLineage = {
        detector: name,
        version,
        ...(previous === undefined ? {} : { previousVersion: previous }),
        kind: request.state.kind,
        params: request.state.params,
        reference: {
          sha256: request.referenceSha256,
          rows: request.state.referenceRows,
          ...(request.referenceSource === undefined ? {} : { source: request.referenceSource }),
          ...(request.referenceSkippedEvents === undefined ||
          Object.keys(request.referenceSkippedEvents).length === 0
            ? {}
            : { skippedEvents: { ...request.referenceSkippedEvents } }),
        },
        features: request.state.schema.names.map((n, c) => ({
          name: n,
          kind: request.state.schema.kinds[c]!,
        })),
        createTime: new Date(this.now()).toISOString(),
        sightlineVersion: this.options.sightlineVersion,
        creator: request.creator ?? 'unknown',
      };
      const files = encodeDetector(lineage, request.state);
      const temporary = join(dir, `.v${version}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
      await mkdir(temporary);
      try {
        await writeFileSynced(join(temporary, DETECTOR_JSON_FILE), files.json);
        await writeFileSynced(join(temporary, REFERENCE_BIN_FILE), files.bin);
        for (const [fileName, bytes] of Object.entries(files.files)) {
          await writeFileSynced(join(temporary, fileName), bytes);
        }
        await syncDirectory(temporary);
        // A directory renames onto a missing name atomically; another process that took
        // this number makes it fail with EEXIST/ENOTEMPTY and this save takes the next one.
        await rename(temporary, join(dir, `v${version}`));
      } catch (error) {
        await rm(temporary, { recursive: true, force: true });
        const code = (error as NodeJS.ErrnoException).code;
        if ((code === 'EEXIST' || code === 'ENOTEMPTY') && attempt < SAVE_VERSION_RETRIES) {
          version++;
          continue;
        }
        throw error;
      }
      await syncDirectory(dir);
      this.remember(name, version, { lineage });
      return { name, version, lineage, state: request.state };
    }
  }

  private async read(name: string, version: number): Promise<SavedDetector> {
    const dir = join(this.options.dataDir, name, `v${version}`);
    const readOne = async (file: string): Promise<Buffer> => {
      try {
        return await readFile(join(dir, file));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new Error(code === 'ENOENT' ? `file ${file} of ${dir} is missing` : (error as Error).message);
      }
    };
    const doc = parseDetectorJson((await readOne(DETECTOR_JSON_FILE)).toString('utf8'));
    const bin = await readOne(REFERENCE_BIN_FILE);
    const files: Record<string, Uint8Array> = {};
    // Names were checked by parseDetectorJson, so each stays inside the version's directory.
    for (const file of listedFileNames(doc)) {
      // A plain Uint8Array view: the state's files are bytes, not Node Buffers.
      const bytes = await readOne(file);
      files[file] = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    const decoded = decodeDetector(doc, bin, files);
    if (decoded.lineage.detector !== name || decoded.lineage.version !== version) {
      throw new Error(`its lineage names ${decoded.lineage.detector} version ${decoded.lineage.version}`);
    }
    return { name, version, lineage: decoded.lineage, state: decoded.state };
  }

  private names(): string[] {
    return [...new Set([...this.versions.keys(), ...this.failed.keys()])]
      .filter((n) => this.summary(n) !== undefined)
      .sort();
  }

  private remember(name: string, version: number, entry: VersionEntry): void {
    let versions = this.versions.get(name);
    if (versions === undefined) {
      versions = new Map();
      this.versions.set(name, versions);
    }
    versions.set(version, entry);
  }

  private fail(name: string, version: number, reason: string): void {
    const list = (this.failed.get(name) ?? []).filter((f) => f.version !== version);
    list.push({ detector: name, version, path: join(this.options.dataDir, name, `v${version}`), reason });
    list.sort((a, b) => a.version - b.version);
    this.failed.set(name, list);
  }

  private serialised<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.queues.set(name, settled);
    void settled.then(() => {
      if (this.queues.get(name) === settled) this.queues.delete(name);
    });
    return next;
  }
}
