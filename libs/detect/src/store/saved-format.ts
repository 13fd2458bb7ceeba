/**
 * The saved form of one fitted detector version: `detector.json` (schemaVersion, lineage,
 * the fitted state's JSON and where each array lies in the binary file) and `reference.bin`
 * (the state's float64 arrays, little-endian, one after another). Plain JSON and typed
 * binary arrays, never a language-specific serialisation, so any reader can load it.
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

/** The two files of a saved version. */
export function encodeDetector(
  lineage: DetectorLineage,
  state: FittedState,
): { json: string; bin: Uint8Array } {
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
    binSha256: createHash('sha256').update(bin).digest('hex'),
    binBytes: bin.length,
  };
  return { json: `${JSON.stringify(doc, null, 1)}\n`, bin };
}

function corrupt(rule: string): InvalidArgumentError {
  return new InvalidArgumentError(`the saved detector is unreadable: ${rule}`);
}

/**
 * Reads the two files back.
 * @throws InvalidArgumentError saying what is wrong: not JSON, a newer schemaVersion, a
 *   missing field, a binary of the wrong size or checksum, an array outside it.
 */
export function decodeDetector(
  jsonText: string,
  bin: Uint8Array,
): { lineage: DetectorLineage; state: FittedState } {
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
  if (bin.length !== doc.binBytes)
    throw corrupt(`${REFERENCE_BIN_FILE} has ${bin.length} bytes, expected ${doc.binBytes}`);
  if (createHash('sha256').update(bin).digest('hex') !== doc.binSha256) {
    throw corrupt(`${REFERENCE_BIN_FILE} does not match its checksum`);
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
    },
  };
}
