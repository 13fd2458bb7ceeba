import type { Dirent } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, NotFoundError } from '@sightline/errors';
import { filesystemError, isNodeError, resolveInside, TFJS_MODEL_FILE } from '@sightline/tfjs';
import { parse as parseYaml } from 'yaml';
import type { ModelConfig } from '../model/types.js';
import { flattenLineage, lineageSchema, type ModelLineage } from './lineage.js';
import { CONFIG_FILE_NAMES, parseModelConfigText } from './model-config.js';
import { assertModelName } from './model-name.js';
import { versionsToServe } from './version-policy.js';

/** The model file each platform loads from a version directory. */
export const MODEL_FILE_NAMES = Object.freeze({ onnx: 'model.onnx', tfjs: TFJS_MODEL_FILE } as const);

/** The largest labels file read (Triton's label_filename), in bytes: a million short labels. */
export const MAX_LABELS_FILE_BYTES = 16 * 1024 * 1024;

/** A version's own provenance file, looked for in this order; it replaces the config's `lineage`. */
export const LINEAGE_FILE_NAMES = ['lineage.yaml', 'lineage.yml', 'lineage.json'] as const;

/** The largest lineage file read, in bytes. */
export const MAX_LINEAGE_FILE_BYTES = 64 * 1024;

/** Version directories are positive integers without leading zeros (`1`, `2`, `10`). */
const VERSION_DIR_PATTERN = /^[1-9][0-9]*$/;

/**
 * A model repository laid out like Triton's:
 * ```
 * <root>/<model>/config.yaml | config.yml | config.json   (optional for onnx)
 * <root>/<model>/<version>/model.onnx                     (platform onnx)
 * <root>/<model>/<version>/model.json + weight shards     (platform tfjs)
 * ```
 * Every path it hands out is resolved through symlinks and checked to stay inside the
 * root; model names are checked against the model name rule (model-name.ts) before they
 * touch the disk. Errors name paths relative to the root, never absolute ones: they reach
 * remote callers as answers and RepositoryIndex reasons.
 */
export class ModelRepository {
  readonly #root: string;
  #realRoot: Promise<string> | undefined;

  /** @param root - the repository directory; resolved through symlinks on first use. */
  constructor(root: string) {
    this.#root = path.resolve(root);
  }

  /** The repository directory as given (absolute). */
  get root(): string {
    return this.#root;
  }

  /** Names of the model directories, sorted; hidden entries and plain files are skipped. */
  async listModelNames(): Promise<string[]> {
    const root = await this.#resolvedRoot();
    const entries = await readdir(root, { withFileTypes: true });
    const names: string[] = [];
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      // Symlinked model directories are listed so that a load reports why they are refused.
      if (entry.isDirectory() || entry.isSymbolicLink()) names.push(entry.name);
    }
    return names.sort();
  }

  /**
   * The model's directory, resolved and checked.
   *
   * @throws InvalidArgumentError for a name against the rule, a directory that leaves the
   *   root, a symlink loop or a path too long; NotFoundError when the model does not exist.
   */
  async modelDir(name: string): Promise<string> {
    assertModelName(name);
    const root = await this.#resolvedRoot();
    let dir: string;
    try {
      dir = await resolveInside(root, [name], `model "${name}"`);
    } catch (error) {
      if (error instanceof NotFoundError) {
        throw new NotFoundError(`model "${name}" not found in the repository`, { cause: error });
      }
      throw error;
    }
    if (!(await stat(dir)).isDirectory()) {
      throw new NotFoundError(`model "${name}": ${name} in the repository is not a directory`);
    }
    return dir;
  }

  /**
   * True when the repository holds a directory for `name` (a model that could be loaded).
   * A name against the rule, or anything the filesystem refuses, is simply not there.
   */
  async hasModel(name: string): Promise<boolean> {
    try {
      await this.modelDir(name);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Reads and validates the model's config. Without a config file every default applies
   * and the platform is inferred from the files of the highest version.
   *
   * @param overrideJson - a complete config in JSON that replaces the file (Triton's load
   *   with a config override); validated the same way.
   * @throws InvalidArgumentError listing every problem with its key path; NotFoundError for
   *   an unknown model.
   */
  async readConfig(name: string, overrideJson?: string): Promise<ModelConfig> {
    const dir = await this.modelDir(name);
    const inferredPlatform = await this.#inferPlatform(name, dir);
    if (overrideJson !== undefined) {
      return parseModelConfigText(overrideJson, 'json', {
        modelName: name,
        label: `config override for model "${name}"`,
        inferredPlatform,
      });
    }
    const present: string[] = [];
    for (const file of CONFIG_FILE_NAMES) {
      if (await isFile(path.join(dir, file))) present.push(file);
    }
    if (present.length > 1) {
      throw new InvalidArgumentError(
        `model "${name}": more than one config file (${present.join(', ')}); keep exactly one`,
      );
    }
    const file = present[0];
    if (file === undefined) {
      // No file: every default applies. The label says so rather than naming a file that
      // does not exist.
      const label = `model "${name}" (no config file)`;
      return parseModelConfigText('', 'yaml', { modelName: name, label, inferredPlatform });
    }
    const label = path.join(path.basename(this.#root), name, file);
    const configPath = await resolveInside(dir, [file], `model "${name}" config`);
    const text = await readFile(configPath, 'utf8');
    return parseModelConfigText(text, file.endsWith('.json') ? 'json' : 'yaml', {
      modelName: name,
      label,
      inferredPlatform,
    });
  }

  /** The model's version numbers found on disk, ascending. */
  async listVersions(name: string): Promise<number[]> {
    const dir = await this.modelDir(name);
    return (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => VERSION_DIR_PATTERN.test(entry.name) && isDirectoryLike(entry))
      .map((entry) => Number(entry.name))
      .filter(Number.isSafeInteger)
      .sort((a, b) => a - b);
  }

  /**
   * The versions of `config`'s model to serve out of `available` (see {@link versionsToServe}).
   *
   * @throws NotFoundError when a specific version is missing on disk, naming it.
   */
  versionsToServe(config: ModelConfig, available: readonly number[]): readonly number[] {
    return versionsToServe(config.name, config.versionPolicy, available);
  }

  /**
   * A version's directory, resolved and checked to stay inside the repository.
   *
   * @throws NotFoundError when the version does not exist; InvalidArgumentError when it
   *   leaves the repository.
   */
  async versionDir(name: string, version: number): Promise<string> {
    await this.modelDir(name);
    if (!Number.isSafeInteger(version) || version < 1) {
      throw new InvalidArgumentError(`model "${name}": version must be a positive integer, got ${version}`);
    }
    const root = await this.#resolvedRoot();
    return resolveInside(root, [name, String(version)], `model "${name}" version ${version}`);
  }

  /**
   * The model file of a version (`model.onnx` or `model.json`), resolved and checked to stay
   * inside the repository.
   *
   * @throws NotFoundError when the file is missing; InvalidArgumentError when it leaves the repository.
   */
  async modelPath(name: string, version: number, platform: ModelConfig['platform']): Promise<string> {
    await this.versionDir(name, version);
    const root = await this.#resolvedRoot();
    const file = MODEL_FILE_NAMES[platform];
    const resolved = await resolveInside(
      root,
      [name, String(version), file],
      `model "${name}" version ${version} ${file}`,
    );
    if (!(await isFile(resolved))) {
      throw new NotFoundError(`model "${name}" version ${version}: ${file} is not a file`);
    }
    return resolved;
  }

  /**
   * The labels of a classification output: one per line of `file` in the model directory
   * (line i labels class index i; a trailing newline adds no label).
   *
   * @throws NotFoundError when the file is missing; InvalidArgumentError when it leaves the
   *   model directory or is over {@link MAX_LABELS_FILE_BYTES}.
   */
  async readLabels(name: string, file: string): Promise<string[]> {
    const dir = await this.modelDir(name);
    const what = `model "${name}" label_filename`;
    const resolved = await resolveInside(dir, [file], what);
    const size = (await stat(resolved)).size;
    if (size > MAX_LABELS_FILE_BYTES) {
      throw new InvalidArgumentError(
        `${what}: ${file} is ${size} bytes, over the limit of ${MAX_LABELS_FILE_BYTES}`,
      );
    }
    const lines = (await readFile(resolved, 'utf8')).split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }

  /**
   * A version's own lineage (`<version>/lineage.yaml`, `.yml` or `.json`), validated as the
   * config's `lineage` key is; undefined when the version has none.
   *
   * @throws InvalidArgumentError naming the file, the key and the rule.
   */
  async readVersionLineage(name: string, version: number): Promise<ModelLineage | undefined> {
    const dir = await this.versionDir(name, version);
    for (const file of LINEAGE_FILE_NAMES) {
      if (!(await isFile(path.join(dir, file)))) continue;
      const label = `model "${name}" version ${version} ${file}`;
      const resolved = await resolveInside(dir, [file], label);
      const size = (await stat(resolved)).size;
      if (size > MAX_LINEAGE_FILE_BYTES) {
        throw new InvalidArgumentError(
          `${label}: ${size} bytes, over the limit of ${MAX_LINEAGE_FILE_BYTES}`,
        );
      }
      const text = await readFile(resolved, 'utf8');
      let raw: unknown;
      try {
        raw = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
      } catch (error) {
        throw new InvalidArgumentError(
          `${label}: not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
        );
      }
      const parsed = lineageSchema.safeParse(raw ?? {});
      if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) =>
          issue.code === 'unrecognized_keys'
            ? `${[...issue.path, ...issue.keys].join('.')}: unknown key`
            : `${issue.path.join('.') || '(root)'}: ${issue.message}`,
        );
        throw new InvalidArgumentError(problems.map((problem) => `${label}: ${problem}`).join('\n'));
      }
      return flattenLineage(parsed.data);
    }
    return undefined;
  }

  async #inferPlatform(name: string, dir: string): Promise<ModelConfig['platform'] | undefined> {
    const versions = await this.listVersions(name);
    const highest = versions.at(-1);
    if (highest === undefined) return undefined;
    const versionPath = path.join(dir, String(highest));
    if (await isFile(path.join(versionPath, MODEL_FILE_NAMES.onnx))) return 'onnx';
    if (await isFile(path.join(versionPath, MODEL_FILE_NAMES.tfjs))) return 'tfjs';
    return undefined;
  }

  #resolvedRoot(): Promise<string> {
    this.#realRoot ??= realpath(this.#root).catch((error: unknown) => {
      this.#realRoot = undefined;
      // The operator sees the absolute path in the start-up log; answers name no path.
      throw new NotFoundError('the model repository directory does not exist', { cause: error });
    });
    return this.#realRoot;
  }
}

function isDirectoryLike(entry: Dirent): boolean {
  // A symlinked version directory is listed; versionDir() then refuses it if it leaves the root.
  return entry.isDirectory() || entry.isSymbolicLink();
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch (error) {
    if (isNodeError(error) && (error.code === 'ENOENT' || error.code === 'ENOTDIR')) return false;
    throw filesystemError(error, path.basename(file), `file ${path.basename(file)}`);
  }
}
