/**
 * The saved form of one fitted detector version: `detector.json` (schemaVersion, lineage,
 * the fitted state's JSON and where each array lies in the binary file), `reference.bin`
 * (the state's float64 arrays, little-endian, one after another) and the state's files as
 * they are (the autoencoder's TF.js `model.json` and `weights.bin`), each listed in
 * detector.json with its size and SHA-256. Plain JSON, typed binary arrays and standard
 * model formats, never a language-specific serialisation, so any reader can load it.
 */
import { createHash } from 'node:crypto';
import { InvalidArgumentError } from '@sightline/errors';
import type { FittedState, JsonObject } from '../kinds/detector-kind.js';
import type { ColumnKind, FeatureTable, TableSchema } from '../table/feature-table.js';

/** The saved format's version; a reader refuses a newer one rather than misread it. */
export const DETECTOR_SCHEMA_VERSION = 1;

/** Name of the JSON file of a saved version. */
export const DETECTOR_JSON_FILE = 'detector.json';
/** Name of the binary arrays file of a saved version. */
export const REFERENCE_BIN_FILE = 'reference.bin';

/**
 * Names of a state's files: 1 to 128 of a-z, 0-9, '.', '_' and '-', not starting with '.'
 * (so never `.`, `..` or a hidden file): they become file names in the version's directory.
 */
export const SAVED_FILE_NAME_PATTERN = /^[a-z0-9_-][a-z0-9._-]{0,127}$/;

/** Where a saved version came from: enough to tell what it was fitted on, by whom, with what. */
export interface DetectorLineage {
  readonly detector: string;
  readonly version: number;
  /** The version this one replaced as the latest (undefined for the first). */
  readonly previousVersion?: number;
  readonly kind: string;
  readonly params: JsonObject;
  readonly reference: {
    /** sha256 of the reference table (see {@link referenceDigest}), hex. */
    readonly sha256: string;
    readonly rows: number;
    /** Free text naming the source, e.g. `events model iris 2026-12-01T00:00Z..2026-12-02T00:00Z`. */
    readonly source?: string;
    /**
     * Events of a stored range that were not used, per reason (e.g. `width 3`: events whose
     * selected tensor has 3 elements per row, not the fitted width); absent when none was.
     */
    readonly skippedEvents?: Readonly<Record<string, number>>;
  };
  readonly features: readonly { readonly name: string; readonly kind: ColumnKind }[];
  /** ISO 8601 UTC. */
  readonly createTime: string;
  readonly sightlineVersion: string;
  /** Who fitted it (a user or service identity; `unknown` when not said). */
  readonly creator: string;
}

/** Where one array lies in reference.bin, in float64 elements. */
interface ArrayEntry {
  readonly offset: number;
  readonly length: number;
}

/** The content of detector.json. */
export interface DetectorJson {
  readonly schemaVersion: number;
  readonly lineage: DetectorLineage;
  readonly kind: string;
  readonly params: JsonObject;
  readonly schema: TableSchema;
  readonly referenceRows: number;
  readonly state: JsonObject;
  readonly arrays: Readonly<Record<string, ArrayEntry>>;
  /** sha256 of reference.bin, hex: a torn or altered binary is refused. */
  readonly binSha256: string;
  readonly binBytes: number;
  /** The state's files beside detector.json, by name; absent when it has none. */
  readonly files?: Readonly<Record<string, SavedFileEntry>>;
}

/** One of a state's files as detector.json lists it. */
export interface SavedFileEntry {
  readonly bytes: number;
  /** sha256 of the file, hex: a torn, altered or missing file makes the version unreadable. */
  readonly sha256: string;
}

/** Whether `name` may be one of a state's saved files (a safe name, not one of the format's own). */
function savedFileNameProblem(name: string): string | undefined {
  if (!SAVED_FILE_NAME_PATTERN.test(name)) {
    return `file name ${JSON.stringify(name.slice(0, 140))} must be 1 to 128 of a-z, 0-9, '.', '_' and '-', not starting with '.'`;
  }
  if (name === DETECTOR_JSON_FILE || name === REFERENCE_BIN_FILE) {
    return `file name ${JSON.stringify(name)} is the saved format's own`;
  }
  return undefined;
}

/**
 * Checks the names of a state's files before they are saved.
 * @throws InvalidArgumentError naming the file and the rule.
 */
export function checkSavedFileNames(files: Readonly<Record<string, Uint8Array>> | undefined): void {
  for (const name of Object.keys(files ?? {})) {
    const problem = savedFileNameProblem(name);
    if (problem !== undefined) throw new InvalidArgumentError(`the fitted state's ${problem}`);
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * sha256 of a reference table: its names, kinds and dictionaries as JSON, then each
 * column's float64 values little-endian. The same table gives the same digest everywhere.
 */
export function referenceDigest(table: FeatureTable): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ names: table.names, kinds: table.kinds, dictionaries: table.dictionaries }));
  for (const column of table.columns) hash.update(littleEndian(column));
  return hash.digest('hex');
}

function littleEndian(values: Float64Array): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat64(i * 8, values[i]!, true);
  return bytes;
}

/**
 * The files of a saved version: detector.json, reference.bin and the state's own files.
 * @throws InvalidArgumentError for a state file name {@link SAVED_FILE_NAME_PATTERN} refuses.
 */
export function encodeDetector(
  lineage: DetectorLineage,
  state: FittedState,
): { json: string; bin: Uint8Array; files: Readonly<Record<string, Uint8Array>> } {
  checkSavedFileNames(state.files);
  const files: Record<string, Uint8Array> = {};
  const listed: Record<string, SavedFileEntry> = {};
  for (const name of Object.keys(state.files ?? {}).sort()) {
    const bytes = state.files![name]!;
    files[name] = bytes;
    listed[name] = { bytes: bytes.length, sha256: sha256Hex(bytes) };
  }
  const arrays: Record<string, ArrayEntry> = {};
  let offset = 0;
  const keys = Object.keys(state.arrays).sort();
  for (const key of keys) {
    arrays[key] = { offset, length: state.arrays[key]!.length };
    offset += state.arrays[key]!.length;
  }
  const bin = new Uint8Array(offset * 8);
  for (const key of keys) bin.set(littleEndian(state.arrays[key]!), arrays[key]!.offset * 8);
  const doc: DetectorJson = {
    schemaVersion: DETECTOR_SCHEMA_VERSION,
    lineage,
    kind: state.kind,
    params: state.params,
    schema: state.schema,
    referenceRows: state.referenceRows,
    state: state.json,
    arrays,
    binSha256: sha256Hex(bin),
    binBytes: bin.length,
    ...(Object.keys(listed).length === 0 ? {} : { files: listed }),
  };
  return { json: `${JSON.stringify(doc, null, 1)}\n`, bin, files };
}

function corrupt(rule: string): InvalidArgumentError {
  return new InvalidArgumentError(`the saved detector is unreadable: ${rule}`);
}

/**
 * Reads detector.json, checking what every reader relies on: JSON, a schemaVersion this
 * Sightline reads, the fields present, the listed files' names safe.
 * @throws InvalidArgumentError saying what is wrong.
 */
export function parseDetectorJson(jsonText: string): DetectorJson {
  let doc: DetectorJson;
  try {
    doc = JSON.parse(jsonText) as DetectorJson;
  } catch (error) {
    throw corrupt(`${DETECTOR_JSON_FILE} is not JSON (${(error as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || typeof doc.schemaVersion !== 'number') {
    throw corrupt(`${DETECTOR_JSON_FILE} has no schemaVersion`);
  }
  if (doc.schemaVersion > DETECTOR_SCHEMA_VERSION) {
    throw corrupt(
      `schemaVersion ${doc.schemaVersion} was written by a newer Sightline; this one reads up to ${DETECTOR_SCHEMA_VERSION}`,
    );
  }
  for (const field of ['lineage', 'kind', 'params', 'schema', 'state', 'arrays', 'binSha256'] as const) {
    if (doc[field] === undefined) throw corrupt(`${DETECTOR_JSON_FILE} has no ${field}`);
  }
  if (
    doc.files !== undefined &&
    (typeof doc.files !== 'object' || doc.files === null || Array.isArray(doc.files))
  ) {
    throw corrupt(`${DETECTOR_JSON_FILE}'s files must be an object`);
  }
  for (const [name, entry] of Object.entries(doc.files ?? {})) {
    const problem = savedFileNameProblem(name);
    if (problem !== undefined) throw corrupt(`${DETECTOR_JSON_FILE} lists a ${problem}`);
    if (typeof entry?.sha256 !== 'string' || !Number.isInteger(entry.bytes)) {
      throw corrupt(`${DETECTOR_JSON_FILE} lists file ${name} without its bytes and sha256`);
    }
  }
  return doc;
}

/** The names of the state's files a parsed detector.json lists (to read them). */
export function listedFileNames(doc: DetectorJson): string[] {
  return Object.keys(doc.files ?? {});
}

/**
 * Reads a saved version back from its detector.json (text, or parsed by
 * {@link parseDetectorJson}), reference.bin and the state's files it lists.
 * @throws InvalidArgumentError saying what is wrong: not JSON, a newer schemaVersion, a
 *   missing field, a binary or a listed file of the wrong size or checksum (or missing), an
 *   array outside the binary.
 */
export function decodeDetector(
  json: string | DetectorJson,
  bin: Uint8Array,
  stateFiles: Readonly<Record<string, Uint8Array>> = {},
): { lineage: DetectorLineage; state: FittedState } {
  const doc = typeof json === 'string' ? parseDetectorJson(json) : json;
  if (bin.length !== doc.binBytes)
    throw corrupt(`${REFERENCE_BIN_FILE} has ${bin.length} bytes, expected ${doc.binBytes}`);
  if (sha256Hex(bin) !== doc.binSha256) {
    throw corrupt(`${REFERENCE_BIN_FILE} does not match its checksum`);
  }
  const files: Record<string, Uint8Array> = {};
  for (const [name, entry] of Object.entries(doc.files ?? {})) {
    const bytes = stateFiles[name];
    if (bytes === undefined) throw corrupt(`file ${name} is missing`);
    if (bytes.length !== entry.bytes)
      throw corrupt(`${name} has ${bytes.length} bytes, expected ${entry.bytes}`);
    if (sha256Hex(bytes) !== entry.sha256) throw corrupt(`${name} does not match its checksum`);
    files[name] = bytes;
  }
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  const arrays: Record<string, Float64Array> = {};
  for (const [key, entry] of Object.entries(doc.arrays)) {
    if ((entry.offset + entry.length) * 8 > bin.length)
      throw corrupt(`array ${key} lies outside ${REFERENCE_BIN_FILE}`);
    const values = new Float64Array(entry.length);
    for (let i = 0; i < entry.length; i++) values[i] = view.getFloat64((entry.offset + i) * 8, true);
    arrays[key] = values;
  }
  return {
    lineage: doc.lineage,
    state: {
      kind: doc.kind,
      params: doc.params,
      schema: doc.schema,
      referenceRows: doc.referenceRows,
      json: doc.state,
      arrays,
      ...(doc.files === undefined ? {} : { files }),
    },
  };
}
