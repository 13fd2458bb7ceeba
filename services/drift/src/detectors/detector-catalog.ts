/**
 * What the service keeps about each detector besides its fitted versions (which
 * libs/detect's store keeps): the created spec (kind, parameters, labels, categorical
 * features), the live selection and window as created, and the current attachment. One
 * versioned JSON file per detector, `<data-dir>/detectors/<name>.json`, written to a temp
 * file and renamed, so a crash leaves the old file or the new one. At load, a file that is
 * not a valid record is refused alone (reported) and the rest load.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { checkDetectorLabels, DETECTOR_NAME_PATTERN } from '@sightline/detect';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError, quoteName } from '@sightline/errors';
import {
  type DetectorSpec,
  DRIFT_KINDS,
  type EventSelection,
  type InputSpec,
  type WindowSettings,
} from '../data-plane/drift-types.js';

/** The version of a catalog file's format. */
export const CATALOG_SCHEMA_VERSION = 1;
/**
 * A detector name (contract rule "name.format"): a DNS label, 1-63 of a-z, 0-9 and '-',
 * neither starting nor ending with '-' (libs/detect's rule; names become directory names,
 * metric labels and Kubernetes resource names).
 */
export { DETECTOR_NAME_PATTERN } from '@sightline/detect';
/** Most labels on one detector (contract). */
export const MAX_DETECTOR_LABELS = 16;

/** Where a detector reads the live stream. */
export interface Attachment {
  readonly selection: EventSelection;
  readonly window: WindowSettings;
}

/** One detector's catalog record. */
export interface CatalogRecord {
  readonly spec: DetectorSpec;
  readonly createTimeMs: number;
  readonly attachment?: Attachment;
  /** The inputs of the last fit's reference data (later data must match them). */
  readonly inputs?: readonly InputSpec[];
}

/** A catalog file refused at load. */
export interface CatalogProblem {
  readonly file: string;
  readonly reason: string;
}

/** Checks a detector name against the contract's rule. */
export function checkDetectorName(name: string, field = 'name'): void {
  if (!DETECTOR_NAME_PATTERN.test(name)) {
    throw new InvalidArgumentError(
      `${field}: ${quoteName(name)} must be 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (rule "name.format")`,
    );
  }
}

/** The detectors' specs and attachments, in memory and on disk. */
export class DetectorCatalog {
  private readonly records = new Map<string, CatalogRecord>();
  /** Files refused at load, by detector name. */
  readonly refused = new Map<string, CatalogProblem>();
  /** Serialises writes per detector so the file always holds the last one. */
  private readonly writes = new Map<string, Promise<void>>();

  private constructor(private readonly directory: string) {}

  /** Loads every record under `directory`; refused files are reported by `onProblem`. */
  static async open(
    directory: string,
    onProblem: (problem: CatalogProblem) => void,
  ): Promise<DetectorCatalog> {
    await mkdir(directory, { recursive: true });
    const catalog = new DetectorCatalog(directory);
    for (const entry of (await readdir(directory)).sort()) {
      if (!entry.endsWith('.json')) continue;
      const file = path.join(directory, entry);
      const name = entry.slice(0, -'.json'.length);
      try {
        const record = parseRecord(await readFile(file, 'utf8'), name);
        catalog.records.set(name, record);
      } catch (error) {
        const problem = { file, reason: error instanceof Error ? error.message : String(error) };
        catalog.refused.set(name, problem);
        onProblem(problem);
      }
    }
    return catalog;
  }

  /** Detector names in name order. */
  names(): string[] {
    return [...this.records.keys()].sort();
  }

  has(name: string): boolean {
    return this.records.has(name);
  }

  /**
   * The record of `name`.
   * @throws NotFoundError naming it (saying so when its file was refused at load).
   */
  get(name: string): CatalogRecord {
    const record = this.records.get(name);
    if (record) return record;
    const refused = this.refused.get(name);
    if (refused) {
      throw new NotFoundError(
        `detector ${quoteName(name)}: its saved record ${refused.file} was refused at start (${refused.reason}); delete it and create the detector again`,
      );
    }
    throw new NotFoundError(`detector ${quoteName(name)} not found`);
  }

  /** Adds a new detector. @throws AlreadyExistsError for a name in use. */
  async create(spec: DetectorSpec, createTimeMs: number): Promise<CatalogRecord> {
    checkDetectorName(spec.name);
    if (this.records.has(spec.name))
      throw new AlreadyExistsError(`detector ${quoteName(spec.name)} already exists`);
    checkDetectorLabels(spec.labels, MAX_DETECTOR_LABELS);
    const record: CatalogRecord = { spec, createTimeMs };
    this.records.set(spec.name, record);
    try {
      await this.write(spec.name, record);
    } catch (error) {
      this.records.delete(spec.name);
      throw error;
    }
    return record;
  }

  /** Replaces the attachment of `name` (undefined: detached) and saves it. */
  async setAttachment(name: string, attachment: Attachment | undefined): Promise<CatalogRecord> {
    const current = this.get(name);
    const { attachment: _previous, ...rest } = current;
    const record: CatalogRecord = attachment ? { ...rest, attachment } : rest;
    this.records.set(name, record);
    await this.write(name, record);
    return record;
  }

  /** Records the inputs of the last fit of `name` and saves them. */
  async setInputs(name: string, inputs: readonly InputSpec[]): Promise<CatalogRecord> {
    const record: CatalogRecord = { ...this.get(name), inputs };
    this.records.set(name, record);
    await this.write(name, record);
    return record;
  }

  /** Removes `name` (also a refused one) from memory and disk. */
  async delete(name: string): Promise<void> {
    this.records.delete(name);
    this.refused.delete(name);
    await (this.writes.get(name) ?? Promise.resolve());
    await rm(path.join(this.directory, `${name}.json`), { force: true });
  }

  private write(name: string, record: CatalogRecord): Promise<void> {
    const file = path.join(this.directory, `${name}.json`);
    const text = `${JSON.stringify({ schemaVersion: CATALOG_SCHEMA_VERSION, ...record }, null, 2)}\n`;
    const previous = this.writes.get(name) ?? Promise.resolve();
    const next = previous
      .catch(() => {})
      .then(async () => {
        const temp = `${file}.${process.pid}.tmp`;
        await writeFile(temp, text, 'utf8');
        await rename(temp, file);
      });
    this.writes.set(name, next);
    return next;
  }
}

function parseRecord(text: string, name: string): CatalogRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  const record = value as { schemaVersion?: unknown } & Partial<CatalogRecord>;
  if (record.schemaVersion !== CATALOG_SCHEMA_VERSION) {
    throw new Error(
      `schemaVersion ${String(record.schemaVersion)}; this service reads ${CATALOG_SCHEMA_VERSION}`,
    );
  }
  const spec = record.spec;
  if (
    !spec ||
    spec.name !== name ||
    !(DRIFT_KINDS as readonly string[]).includes(spec.kind) ||
    typeof spec.params !== 'object' ||
    typeof record.createTimeMs !== 'number'
  ) {
    throw new Error('not a detector record of this name');
  }
  return {
    spec,
    createTimeMs: record.createTimeMs,
    ...(record.attachment ? { attachment: record.attachment } : {}),
    ...(record.inputs ? { inputs: record.inputs } : {}),
  };
}
