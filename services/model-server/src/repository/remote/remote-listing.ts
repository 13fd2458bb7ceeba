import { createHash } from 'node:crypto';
import type { RemoteObject } from './object-source.js';

/** Version directories are positive integers without leading zeros, as in a local repository. */
export const VERSION_DIR = /^[1-9][0-9]*$/;

/** A file name part the cache can hold (the manifest's and the model name's alphabet). */
export const PATH_PART = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** One model of a remote listing. */
export interface ModelFiles {
  /** Files directly in the model directory (config, labels). */
  readonly modelFiles: RemoteObject[];
  readonly versions: Map<number, RemoteObject[]>;
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
      model = { modelFiles: [], versions: new Map() };
      models.set(name, model);
    }
    if (parts.length === 2) {
      if (PATH_PART.test(parts[1]!)) model.modelFiles.push(object);
      continue;
    }
    if (!VERSION_DIR.test(parts[1]!)) continue;
    const version = Number(parts[1]);
    if (!Number.isSafeInteger(version)) continue;
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
