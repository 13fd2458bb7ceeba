/**
 * Every fitted version of every detector, on disk: `<dir>/<name>/v<N>/detector.json`
 * (schemaVersion, lineage, inputs, the kind's resolved parameters, schema and JSON state,
 * and where each typed array lies in reference.bin) plus `reference.bin` (the kind's float64
 * arrays, little-endian, back to back). A version is written into a temp folder and renamed
 * into place, so it is there whole or not at all. At load, a version that does not read
 * back (corrupt JSON, a short or missing reference.bin, a newer schema) is refused alone:
 * reported, and the next older version serves; old versions are kept until the detector is
 * deleted.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FittedState, JsonObject, TableSchema } from '@sightline/detect';
import type { InputSpec, VersionLineage } from '../data-plane/drift-types.js';

/** One saved version, whole. */
export interface SavedVersion {
  readonly schemaVersion: number;
  readonly lineage: VersionLineage;
  readonly inputs: readonly InputSpec[];
  readonly state: FittedState;
}

/** The newest version that read back, and those refused on the way. */
export interface LoadResult {
  readonly saved?: SavedVersion;
  readonly refused: readonly { readonly version: number; readonly reason: string }[];
}

/** The highest saved-detector schema version this store reads. */
export const STORE_SCHEMA_VERSION = 1;

interface ArrayEntry {
  readonly name: string;
  /** Offset in reference.bin, in bytes. */
  readonly offset: number;
  /** Elements (float64). */
  readonly length: number;
}

interface DetectorJson {
  readonly schemaVersion: number;
  readonly lineage: VersionLineage;
  readonly inputs: readonly InputSpec[];
  readonly state: {
    readonly kind: string;
    readonly params: JsonObject;
    readonly schema: TableSchema;
    readonly referenceRows: number;
    readonly json: JsonObject;
  };
  readonly arrays: readonly ArrayEntry[];
}

const VERSION_FOLDER = /^v(\d{1,9})$/;

/** The fitted versions under one directory. */
export class FittedVersionStore {
  constructor(private readonly directory: string) {}

  /** Saves `saved` as `v<version>` of its detector. */
  async save(saved: SavedVersion): Promise<void> {
    const folder = path.join(this.directory, saved.lineage.name);
    await mkdir(folder, { recursive: true });
    const temp = path.join(folder, `.v${saved.lineage.version}.${process.pid}.tmp`);
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp);
    const entries: ArrayEntry[] = [];
    const chunks: Buffer[] = [];
    let offset = 0;
    for (const [name, array] of Object.entries(saved.state.arrays)) {
      const bytes = Buffer.alloc(array.length * 8);
      for (let i = 0; i < array.length; i++) bytes.writeDoubleLE(array[i]!, i * 8);
      entries.push({ name, offset, length: array.length });
      chunks.push(bytes);
      offset += bytes.length;
    }
    const json: DetectorJson = {
      schemaVersion: saved.schemaVersion,
      lineage: saved.lineage,
      inputs: saved.inputs,
      state: {
        kind: saved.state.kind,
        params: saved.state.params,
        schema: saved.state.schema,
        referenceRows: saved.state.referenceRows,
        json: saved.state.json,
      },
      arrays: entries,
    };
    await writeFile(path.join(temp, 'reference.bin'), Buffer.concat(chunks));
    await writeFile(path.join(temp, 'detector.json'), `${JSON.stringify(json, null, 2)}\n`, 'utf8');
    const final = path.join(folder, `v${saved.lineage.version}`);
    await rm(final, { recursive: true, force: true });
    await rename(temp, final);
  }

  /** The newest version of `name` that reads back; older ones serve when newer are refused. */
  async loadNewest(name: string): Promise<LoadResult> {
    const refused: { version: number; reason: string }[] = [];
    for (const version of await this.versionNumbers(name)) {
      try {
        return { saved: await this.read(name, version), refused };
      } catch (error) {
        refused.push({ version, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return { refused };
  }

  /** Every readable version's lineage, newest first. */
  async lineages(name: string): Promise<VersionLineage[]> {
    const result: VersionLineage[] = [];
    for (const version of await this.versionNumbers(name)) {
      try {
        result.push((await this.readJson(name, version)).lineage);
      } catch {
        // A refused version was reported at load; listing shows the versions that serve.
      }
    }
    return result;
  }

  /** Deletes every version of `name`. */
  async delete(name: string): Promise<void> {
    await rm(path.join(this.directory, name), { recursive: true, force: true });
  }

  private async versionNumbers(name: string): Promise<number[]> {
    const entries = await readdir(path.join(this.directory, name)).catch(() => [] as string[]);
    return entries
      .map((entry) => VERSION_FOLDER.exec(entry)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number)
      .sort((a, b) => b - a);
  }

  private async readJson(name: string, version: number): Promise<DetectorJson> {
    const file = path.join(this.directory, name, `v${version}`, 'detector.json');
    let json: DetectorJson;
    try {
      json = JSON.parse(await readFile(file, 'utf8')) as DetectorJson;
    } catch (error) {
      throw new Error(`${file}: ${error instanceof SyntaxError ? 'not JSON' : (error as Error).message}`);
    }
    if (typeof json?.schemaVersion !== 'number' || json.schemaVersion < 1)
      throw new Error(`${file}: no schemaVersion`);
    if (json.schemaVersion > STORE_SCHEMA_VERSION)
      throw new Error(
        `${file}: schemaVersion ${json.schemaVersion} is newer than this service reads (${STORE_SCHEMA_VERSION})`,
      );
    if (
      json.lineage?.name !== name ||
      json.lineage.version !== version ||
      !json.state?.schema ||
      !Array.isArray(json.arrays)
    )
      throw new Error(`${file}: not a fitted version of detector "${name}" v${version}`);
    return json;
  }

  private async read(name: string, version: number): Promise<SavedVersion> {
    const json = await this.readJson(name, version);
    const binFile = path.join(this.directory, name, `v${version}`, 'reference.bin');
    const bin = await readFile(binFile);
    const arrays: Record<string, Float64Array> = {};
    for (const entry of json.arrays) {
      const end = entry.offset + entry.length * 8;
      if (!(entry.offset >= 0 && end <= bin.length))
        throw new Error(`${binFile}: array "${entry.name}" lies past the file's ${bin.length} bytes`);
      const values = new Float64Array(entry.length);
      for (let i = 0; i < entry.length; i++) values[i] = bin.readDoubleLE(entry.offset + i * 8);
      arrays[entry.name] = values;
    }
    return {
      schemaVersion: json.schemaVersion,
      lineage: json.lineage,
      inputs: json.inputs,
      state: { ...json.state, arrays },
    };
  }
}
