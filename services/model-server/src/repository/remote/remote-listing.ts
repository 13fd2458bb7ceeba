import { createHash } from 'node:crypto';
import type { RemoteObject } from './object-source.js';

/** Version directories are positive integers without leading zeros, as in a local repository. */
export const VERSION_DIR = /^[1-9][0-9]*$/;

/** A file name part the cache can hold (the manifest's and the model name's alphabet). */
export const PATH_PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Longest file name part, in bytes: most file systems' limit (a longer one fails with ENAMETOOLONG). */
export const MAX_PATH_PART_BYTES = 255;

/** The rule {@link isCacheablePart} checks, for messages. */
export const PATH_PART_RULE =
  'each part 1 to 255 bytes of letters, digits, "_", "." and "-", not starting with "."';

/** True for a file name part the cache can hold on any usual file system. */
export function isCacheablePart(part: string): boolean {
  return PATH_PART.test(part) && part.length <= MAX_PATH_PART_BYTES;
}

/** One model of a remote listing. */
export interface ModelFiles {
  /** Files directly in the model directory (config, labels). */
  readonly modelFiles: RemoteObject[];
  readonly versions: Map<number, RemoteObject[]>;
  /** Directories that look like versions but are not (`01`, `007`, too large): said, not served. */
  readonly ignoredVersionDirs: Set<string>;
}

/** Groups a listing by model: model-level files and version directories; anything else is ignored. */
export function groupByModel(objects: readonly RemoteObject[]): Map<string, ModelFiles> {
  const models = new Map<string, ModelFiles>();
  for (const object of objects) {
    const parts = object.path.split('/');
    if (parts.length < 2) continue; // files at the repository root
    const name = parts[0]!;
    let model = models.get(name);
    if (model === undefined) {
      model = { modelFiles: [], versions: new Map(), ignoredVersionDirs: new Set() };
      models.set(name, model);
    }
    if (parts.length === 2) {
      // An object named like a version directory is a folder marker some consoles write
      // without its slash: kept, it would collide with the version directory in the cache.
      if (isCacheablePart(parts[1]!) && !VERSION_DIR.test(parts[1]!)) model.modelFiles.push(object);
      continue;
    }
    const version = Number(parts[1]);
    if (!VERSION_DIR.test(parts[1]!) || !Number.isSafeInteger(version)) {
      if (/^[0-9]+$/.test(parts[1]!)) model.ignoredVersionDirs.add(parts[1]!);
      continue;
    }
    const files = model.versions.get(version) ?? [];
    files.push(object);
    model.versions.set(version, files);
  }
  return models;
}

export function checksumKey(object: RemoteObject): string {
  const { checksum } = object;
  return `${object.size}:${checksum.kind}:${checksum.kind === 'size-only' ? checksum.etag : checksum.hex}`;
}

/** What identifies a version's content: every file's path, size and checksum. */
export function fingerprintOf(name: string, version: number, objects: readonly RemoteObject[]): string {
  const lines = objects.map((object) => `${object.path}\t${checksumKey(object)}`).sort();
  return createHash('sha256')
    .update(`${name}/${version}\n${lines.join('\n')}`)
    .digest('hex');
}
