/**
 * What the service keeps about each detector besides its fitted versions (libs/detect's
 * DetectorStore keeps those): the spec as created, the threshold in force, the live
 * attachment, the inputs of the last fit. One versioned JSON file per detector,
 * `<dir>/<name>.json`, written atomically (temporary file, flushed, renamed, directory
 * flushed), so a kill -9 after an acknowledged change leaves the new record. At load a file
 * that is not a valid record is refused alone (reported) and the rest load.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { readJsonStateFile, SAVED_DETECTOR_NAME_PATTERN, writeJsonFileAtomically } from '@sightline/detect';
import type { DetectorSpec, InputSpec, ThresholdState } from '../data-plane/outlier-types.js';

/** The version of a record file's format. */
export const RECORD_SCHEMA_VERSION = 1;

/** One detector's record. */
export interface DetectorRecord {
  readonly spec: DetectorSpec;
  readonly createTimeMs: number;
  readonly attached: boolean;
  /** The selector the detector is attached with (the created one or AttachDetector's). */
  readonly attachedSelector?: DetectorSpec['live'];
  readonly threshold?: ThresholdState;
  /** The fitted version the threshold was set for (a new fit resets one not from the config). */
  readonly thresholdVersion?: number;
  readonly inputs?: readonly InputSpec[];
  readonly fitTimeMs?: number;
  readonly producerVersion?: string;
}

/** A record file refused at load. */
export interface RecordProblem {
  readonly name: string;
  readonly file: string;
  readonly reason: string;
}

interface RecordFile {
  readonly schemaVersion: number;
  readonly record: DetectorRecord;
}

function isRecordFile(value: unknown): value is RecordFile {
  const file = value as Partial<RecordFile> | null;
  const record = file?.record as Partial<DetectorRecord> | undefined;
  return (
    typeof file === 'object' &&
    file !== null &&
    file.schemaVersion === RECORD_SCHEMA_VERSION &&
    typeof record?.spec?.name === 'string' &&
    typeof record.spec.kind === 'string' &&
    typeof record.createTimeMs === 'number' &&
    typeof record.attached === 'boolean'
  );
}

/** The records of a data directory. */
export class DetectorRecords {
  private readonly records = new Map<string, DetectorRecord>();
  private readonly refusedRecords = new Map<string, RecordProblem>();

  private constructor(private readonly directory: string) {}

  /** Reads every record in `directory` (created when missing); bad files are refused alone. */
  static async open(directory: string): Promise<DetectorRecords> {
    await mkdir(directory, { recursive: true });
    const records = new DetectorRecords(directory);
    for (const entry of (await readdir(directory)).sort()) {
      if (!entry.endsWith('.json')) continue;
      const name = entry.slice(0, -'.json'.length);
      if (!SAVED_DETECTOR_NAME_PATTERN.test(name)) continue;
      const file = path.join(directory, entry);
      const read = await readJsonStateFile(
        file,
        isRecordFile,
        `not a detector record of schemaVersion ${RECORD_SCHEMA_VERSION}`,
      );
      if (read.checkpoint && read.checkpoint.record.spec.name === name) {
        records.records.set(name, read.checkpoint.record);
      } else {
        records.refusedRecords.set(name, {
          name,
          file,
          reason: read.unreadable ?? `names detector ${JSON.stringify(read.checkpoint?.record.spec.name)}`,
        });
      }
    }
    return records;
  }

  /** Records refused at load. */
  get refused(): readonly RecordProblem[] {
    return [...this.refusedRecords.values()];
  }

  /** The refusal of `name`'s record, if it was refused. */
  refusal(name: string): RecordProblem | undefined {
    return this.refusedRecords.get(name);
  }

  get(name: string): DetectorRecord | undefined {
    return this.records.get(name);
  }

  /** Every record, in name order. */
  all(): DetectorRecord[] {
    return [...this.records.values()].sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1));
  }

  /** Saves `record` (on disk before this resolves). */
  async put(record: DetectorRecord): Promise<void> {
    const file: RecordFile = { schemaVersion: RECORD_SCHEMA_VERSION, record };
    await writeJsonFileAtomically(this.fileOf(record.spec.name), file);
    this.records.set(record.spec.name, record);
    this.refusedRecords.delete(record.spec.name);
  }

  /** Removes `name`'s record (a refused one too). */
  async remove(name: string): Promise<void> {
    await rm(this.fileOf(name), { force: true });
    this.records.delete(name);
    this.refusedRecords.delete(name);
  }

  private fileOf(name: string): string {
    return path.join(this.directory, `${name}.json`);
  }
}
