/**
 * The outlier detectors' life cycle, in plain TypeScript: create, fit (tensors or stored
 * events), thresholds (config, fit percentile, InferThreshold), score, predict, attach,
 * delete, and Mahalanobis running statistics. Fitted versions live in libs/detect's
 * DetectorStore (every version, with lineage) behind FittedDetectors; the rest of a detector
 * (spec, threshold, attachment) in its record; running statistics in their own file. Every
 * change is on disk before the call returns, so it survives a kill -9.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  ALIBI_KIND_NAMES,
  type Attachment,
  checkDetectorLabels,
  checkDetectorName,
  contractColumnNames,
  DETECTOR_SCHEMA_VERSION,
  type DetectorLineage,
  DetectorStore,
  EventRowReader,
  type EventSelector,
  type FeatureTable,
  type FitProgress,
  FittedDetectors,
  type FittedState,
  fromRowMajor,
  type KindCatalogue,
  noReadableEventsError,
  type OutlierKindName,
  type OutlierScores,
  plainTensor,
  readJsonStateFile,
  resolvePercentile,
  runningRows,
  type ScoringDetector,
  selectorAttachment,
  skippedEventCounts,
  TableInputError,
  tableFromStoredEvents,
  tableFromTensors,
  thresholdAtPercentile,
  updateRunning,
  writeJsonFileAtomically,
} from '@sightline/detect';
import {
  AlreadyExistsError,
  type Cancellation,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  quoteName,
  ResourceExhaustedError,
} from '@sightline/errors';
import type { EventReader } from '@sightline/events';
import type { Tensor } from '@sightline/tensor';
import type {
  BatchScores,
  DetectorSpec,
  DetectorView,
  InputSpec,
  Prediction,
  RefusedDetector,
  ThresholdState,
  VersionLineage,
} from '../data-plane/outlier-types.js';
import { type DetectorRecord, DetectorRecords } from './detector-records.js';

/** The version of a running-statistics file's format. */
export const RUNNING_SCHEMA_VERSION = 1;
/** ListDetectors' page size when the call sets none (contract). */
export const DEFAULT_DETECTORS_PAGE_SIZE = 100;
/** ListDetectors' largest page (contract). */
export const MAX_DETECTORS_PAGE_SIZE = 1000;
/** Most labels on one detector (contract). */
export const MAX_DETECTOR_LABELS = 16;
/** The autoencoder's training budget when its config sets none, in seconds (contract). */
export const DEFAULT_TRAINING_BUDGET_SECONDS = 600;
/** Longest FitRequest.creator (contract). */
export const MAX_CREATOR_LENGTH = 256;
/** Longest FitRequest.reference_source (contract). */
export const MAX_REFERENCE_SOURCE_LENGTH = 1024;

const TOKEN_PREFIX = 'od1.';

/** Limits of the detectors (the service's settings). */
export interface DetectorLimits {
  /** --max-reference-rows */
  readonly maxReferenceRows: number;
  /** --max-rows-per-call */
  readonly maxRowsPerCall: number;
  /** --max-training-seconds */
  readonly maxTrainingSeconds: number;
}

/** Options of {@link OutlierDetectors.open}. */
export interface OutlierDetectorsOptions {
  readonly dataDir: string;
  readonly sightlineVersion: string;
  readonly kinds: KindCatalogue<OutlierScores>;
  readonly limits: DetectorLimits;
  readonly now: () => number;
}

/** Where a fit's reference comes from. */
export type FitReference =
  | { readonly tensors: readonly Tensor[] }
  | {
      readonly stored: {
        readonly reader: EventReader;
        readonly fromUnixMs: number;
        readonly toUnixMs: number;
        readonly selector: EventSelector;
        readonly cancellation?: Cancellation;
      };
    };

/** Who fits and from what (the lineage). */
export interface FitProvenance {
  readonly creator: string;
  readonly referenceSource: string;
}

/** A detector ready for live or historical scoring: fitted, with a threshold. */
export interface ScoringTarget {
  readonly name: string;
  readonly version: number;
  readonly kind: OutlierKindName;
  readonly threshold: number;
  readonly selector: EventSelector;
  /** The events it scores. */
  readonly attachment: Attachment;
  readonly reader: EventRowReader;
  readonly updateFromLive: boolean;
  /** Scores rows read by `reader` (row-major values of the fitted schema). */
  score(values: Float64Array, rows: number): Float64Array;
}

interface RunningFile {
  readonly schemaVersion: number;
  readonly version: number;
  readonly json: FittedState['json'];
  readonly arrays: Readonly<Record<string, string>>;
  readonly referenceRows: number;
}

function isRunningFile(value: unknown): value is RunningFile {
  const file = value as Partial<RunningFile> | null;
  return (
    typeof file === 'object' &&
    file !== null &&
    file.schemaVersion === RUNNING_SCHEMA_VERSION &&
    typeof file.version === 'number' &&
    typeof file.json === 'object' &&
    typeof file.arrays === 'object'
  );
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`detector ${quoteName(name)} does not exist`);
}

/** A detector's running (Mahalanobis online) statistics of one version. */
type RunningEntry = { readonly version: number; readonly state: FittedState };
/** A fitted version ready to score, with its kind. */
type Scorer = ScoringDetector<OutlierScores> & { readonly kind: OutlierKindName };

/** The fitted detectors of one data directory. */
export class OutlierDetectors {
  private readonly records: DetectorRecords;
  private readonly store: DetectorStore;
  private readonly fitted: FittedDetectors<OutlierScores>;
  /** The newest version's lineage, per detector. */
  private readonly lineages = new Map<string, DetectorLineage>();
  /** The autoencoder's training of the newest version. */
  private readonly trainings = new Map<string, FitProgress>();
  /** Mahalanobis running statistics (updated from Predict or the live stream), per detector. */
  private readonly running = new Map<string, RunningEntry>();
  /**
   * The scorer of each fitted version, built once rather than on every Predict; rebuilt when
   * its running statistics change (a new entry in `running`). Weak: a replaced version goes.
   */
  private readonly scorers = new WeakMap<
    ScoringDetector<OutlierScores>,
    { running: RunningEntry | undefined; kind: OutlierKindName; scorer: Scorer }
  >();
  /** Detectors whose running statistics changed from the live stream since they were saved. */
  private readonly unsaved = new Set<string>();
  private readonly refusedDetectors: RefusedDetector[] = [];
  /** Changes of one detector run one after another (fit, threshold, attach, delete). */
  private readonly queues = new Map<string, Promise<unknown>>();
  private targets: ScoringTarget[] | undefined;

  private constructor(
    private readonly options: OutlierDetectorsOptions,
    records: DetectorRecords,
  ) {
    this.records = records;
    this.store = new DetectorStore({
      dataDir: path.join(options.dataDir, 'fitted'),
      sightlineVersion: options.sightlineVersion,
      now: options.now,
    });
    this.fitted = new FittedDetectors(this.store, options.kinds);
  }

  /** Opens the data directory: records, fitted versions, running statistics; bad files refused alone. */
  static async open(options: OutlierDetectorsOptions): Promise<OutlierDetectors> {
    const records = await DetectorRecords.open(path.join(options.dataDir, 'detectors'));
    const detectors = new OutlierDetectors(options, records);
    await detectors.load();
    return detectors;
  }

  /** Saved detectors (records or fitted versions) refused at load, named with the reason. */
  get refused(): readonly RefusedDetector[] {
    return this.refusedDetectors;
  }

  private async load(): Promise<void> {
    for (const problem of this.records.refused) this.refusedDetectors.push(problem);
    const { failures } = await this.fitted.load();
    for (const failure of failures) {
      this.refusedDetectors.push({
        name: failure.detector,
        file: failure.path,
        reason: `version ${failure.version}: ${failure.reason}`,
      });
    }
    for (const record of this.records.all()) {
      const name = record.spec.name;
      const latest = this.store.summary(name)?.latest;
      if (latest === undefined) continue;
      try {
        this.lineages.set(name, (await this.store.get(name, latest)).lineage);
      } catch {
        // Refused by the store already (listed above).
      }
      await this.loadRunning(name, latest);
    }
  }

  private runningFile(name: string): string {
    return path.join(this.options.dataDir, 'running', `${name}.json`);
  }

  private async loadRunning(name: string, version: number): Promise<void> {
    const file = this.runningFile(name);
    const read = await readJsonStateFile(
      file,
      isRunningFile,
      `not running statistics of schemaVersion ${RUNNING_SCHEMA_VERSION}`,
    );
    if (read.unreadable) {
      this.refusedDetectors.push({ name, file, reason: `running statistics: ${read.unreadable}` });
      return;
    }
    const saved = read.checkpoint;
    if (!saved || saved.version !== version) return;
    const base = (await this.store.get(name, version)).state;
    const arrays: Record<string, Float64Array> = {};
    for (const [key, text] of Object.entries(saved.arrays)) {
      const bytes = Buffer.from(text, 'base64');
      arrays[key] = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    }
    this.running.set(name, { version, state: { ...base, json: saved.json, arrays } });
  }

  private async saveRunning(name: string, version: number, state: FittedState): Promise<void> {
    const arrays: Record<string, string> = {};
    for (const [key, values] of Object.entries(state.arrays)) {
      arrays[key] = Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
    }
    const file: RunningFile = {
      schemaVersion: RUNNING_SCHEMA_VERSION,
      version,
      json: state.json,
      arrays,
      referenceRows: state.referenceRows,
    };
    await mkdir(path.dirname(this.runningFile(name)), { recursive: true });
    await writeJsonFileAtomically(this.runningFile(name), file);
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

  /** Drops the cached live targets after a change. */
  private changed(): void {
    this.targets = undefined;
  }

  private record(name: string): DetectorRecord {
    const record = this.records.get(name);
    if (record) return record;
    const refusal = this.records.refusal(name);
    if (refusal) {
      throw new FailedPreconditionError(
        `detector ${quoteName(name)}: its saved record ${refusal.file} is unreadable (${refusal.reason}); delete the detector and create it again`,
      );
    }
    throw notFound(name);
  }

  /**
   * Creates an unfitted detector (a fixed config threshold is in force at once).
   * @throws AlreadyExistsError for a name in use; InvalidArgumentError for a bad name, label count or rule.
   */
  async create(spec: DetectorSpec): Promise<DetectorView> {
    checkDetectorName(spec.name);
    return this.serialised(spec.name, async () => {
      if (this.records.get(spec.name) || this.records.refusal(spec.name) || this.store.summary(spec.name)) {
        throw new AlreadyExistsError(`detector ${quoteName(spec.name)} already exists`);
      }
      checkDetectorLabels(spec.labels, MAX_DETECTOR_LABELS);
      // An unknown kind, or one this build lacks, is refused now rather than at the first Fit.
      this.options.kinds.get(spec.kind);
      const training = spec.params.maxTrainingSeconds;
      if (typeof training === 'number' && training > this.options.limits.maxTrainingSeconds) {
        throw new InvalidArgumentError(
          `config.autoencoder.max_training_seconds: ${training}; at most ${this.options.limits.maxTrainingSeconds} (the service's --max-training-seconds)`,
        );
      }
      const fixed = spec.thresholdSettings.threshold;
      const record: DetectorRecord = {
        spec,
        createTimeMs: this.options.now(),
        attached: false,
        ...(fixed === undefined ? {} : { threshold: { value: fixed, source: 'config' as const } }),
      };
      await this.records.put(record);
      this.changed();
      return this.viewOf(record);
    });
  }

  /**
   * Fits `name` on the reference, saving a new version; the threshold is then the config's
   * (fixed or percentile of the reference's scores) or unset.
   * @throws NotFoundError; InvalidArgumentError for bad reference data (naming the column);
   *   ResourceExhaustedError past --max-reference-rows; DeadlineExceededError for a training
   *   past its budget (nothing saved).
   */
  async fit(
    name: string,
    reference: FitReference,
    provenance: FitProvenance,
    options: { onProgress?: (progress: FitProgress) => void; cancellation?: Cancellation } = {},
  ): Promise<DetectorView> {
    if (provenance.creator.length > MAX_CREATOR_LENGTH) {
      throw new InvalidArgumentError(
        `creator: ${provenance.creator.length} characters; at most ${MAX_CREATOR_LENGTH}`,
      );
    }
    if (provenance.referenceSource.length > MAX_REFERENCE_SOURCE_LENGTH) {
      throw new InvalidArgumentError(
        `reference_source: ${provenance.referenceSource.length} characters; at most ${MAX_REFERENCE_SOURCE_LENGTH}`,
      );
    }
    return this.serialised(name, async () => {
      const record = this.record(name);
      const { spec } = record;
      const { table, inputs, skipped, source } = await this.referenceTable(reference);
      if (table.rows > this.options.limits.maxReferenceRows) {
        throw new ResourceExhaustedError(
          `reference: ${table.rows} rows; at most ${this.options.limits.maxReferenceRows} (--max-reference-rows)`,
        );
      }
      const params: Record<string, unknown> = { ...spec.params };
      if (spec.kind === 'autoencoder' && typeof params.maxTrainingSeconds !== 'number') {
        // The kind enforces its budget itself, naming it and the epochs done when it runs out.
        params.maxTrainingSeconds = Math.min(
          DEFAULT_TRAINING_BUDGET_SECONDS,
          this.options.limits.maxTrainingSeconds,
        );
      }
      let training: FitProgress | undefined;
      const saved = await this.fitted.fit(name, {
        kind: spec.kind,
        reference: table,
        params,
        creator: provenance.creator || 'unknown',
        referenceSource: provenance.referenceSource || source,
        ...(skipped ? { referenceSkippedEvents: skipped } : {}),
        ...(options.cancellation ? { budget: { cancellation: options.cancellation } } : {}),
        onProgress: (progress) => {
          training = progress;
          options.onProgress?.(progress);
        },
      });
      this.lineages.set(name, saved.lineage);
      if (training) this.trainings.set(name, training);
      else this.trainings.delete(name);
      // A new version starts its running statistics from its own fit.
      this.running.delete(name);
      await rm(this.runningFile(name), { force: true });
      const threshold = this.fitThreshold(spec, name, table);
      const next: DetectorRecord = {
        spec: record.spec,
        createTimeMs: record.createTimeMs,
        attached: record.attached,
        ...(record.attachedSelector ? { attachedSelector: record.attachedSelector } : {}),
        ...(threshold ? { threshold, thresholdVersion: saved.version } : {}),
        inputs,
        fitTimeMs: this.options.now(),
        producerVersion: this.options.sightlineVersion,
      };
      await this.records.put(next);
      this.changed();
      return this.viewOf(next);
    });
  }

  /** The threshold a fit leaves: the config's fixed one, its percentile of the reference's scores, or none. */
  private fitThreshold(
    spec: DetectorSpec,
    name: string,
    reference: FeatureTable,
  ): ThresholdState | undefined {
    const rule = spec.thresholdSettings;
    if (rule.threshold !== undefined) return { value: rule.threshold, source: 'config' };
    if (rule.thresholdPercentile === undefined && rule.contamination === undefined) return undefined;
    const percentile = resolvePercentile(
      {
        ...(rule.thresholdPercentile === undefined ? {} : { thresholdPercentile: rule.thresholdPercentile }),
        ...(rule.contamination === undefined ? {} : { contamination: rule.contamination }),
      },
      'config.',
    );
    const scores = this.scorer(name).score(reference).instanceScores;
    return { value: thresholdAtPercentile(scores, percentile), source: 'fit_percentile', percentile };
  }

  private async referenceTable(reference: FitReference): Promise<{
    table: FeatureTable;
    inputs: InputSpec[];
    skipped?: Record<string, number>;
    source: string;
  }> {
    if ('tensors' in reference) {
      const table = tableFromTensors(reference.tensors.map(plainTensor), {
        columnNames: contractColumnNames(reference.tensors),
        nonFinite: 'refuse',
      });
      return {
        table,
        inputs: reference.tensors.map((t) => ({
          name: t.name,
          datatype: t.datatype,
          rowShape: t.shape.slice(1),
        })),
        source: 'tensors',
      };
    }
    const { reader, fromUnixMs, toUnixMs, selector, cancellation } = reference.stored;
    const attachment = selectorAttachment('reference', selector, 'reference_events.selector');
    const { detector: _detector, ...selection } = attachment;
    const read = await tableFromStoredEvents({
      reader,
      fromUnixMs,
      toUnixMs,
      ...(cancellation ? { cancellation } : {}),
      attachment: selection,
      nonFinite: 'refuse',
      maxRows: this.options.limits.maxReferenceRows,
    });
    const range = `${new Date(fromUnixMs).toISOString()}..${new Date(toUnixMs).toISOString()}`;
    if (!read.table) {
      const none = noReadableEventsError(read.unreadable, read.skippedWidths);
      throw new TableInputError(
        'empty',
        `reference_events: ${none.message} of ${quoteName(selector.modelName)} in ${range}`,
        'reference_events',
      );
    }
    return {
      table: read.table,
      inputs: [{ name: selector.tensors[0] ?? '', datatype: 'FP64', rowShape: [read.table.names.length] }],
      skipped: skippedEventCounts(read),
      source: `events of model ${selector.modelName}${selector.modelVersion ? ` version ${selector.modelVersion}` : ''} ${range}`,
    };
  }

  /**
   * The fitted detector of `name`, ready to score.
   * @throws NotFoundError; FailedPreconditionError when not fitted (saying to call Fit) or unreadable.
   */
  private scorer(name: string): Scorer {
    const record = this.record(name);
    const ready = this.fitted.get(name);
    if (!ready) {
      const failure = this.store.summary(name)?.failures.at(-1);
      if (failure) {
        throw new FailedPreconditionError(
          `detector ${quoteName(name)} version ${failure.version} is unreadable (${failure.reason}); delete it or fit the detector again`,
        );
      }
      throw new FailedPreconditionError(`detector ${quoteName(name)}: not fitted, call Fit first`);
    }
    const entry = this.running.get(name);
    const running = entry && entry.version === ready.version ? entry : undefined;
    const kind = record.spec.kind;
    const cached = this.scorers.get(ready);
    if (cached && cached.running === running && cached.kind === kind) return cached.scorer;
    let scorer: Scorer;
    if (running) {
      const catalogueKind = this.options.kinds.get(kind);
      scorer = { ...ready, kind, score: (table) => catalogueKind.score(running.state, table) };
    } else {
      scorer = { ...ready, kind };
    }
    this.scorers.set(ready, { running, kind, scorer });
    return scorer;
  }

  /** Reads tensors with the fitted schema, bounded by --max-rows-per-call. */
  private tableOf(detector: ScoringDetector<OutlierScores>, tensors: readonly Tensor[]): FeatureTable {
    if (tensors.length === 0) throw new InvalidArgumentError('data: the batch is empty: no tensors given');
    const table = tableFromTensors(tensors.map(plainTensor), {
      columnNames: contractColumnNames(tensors),
      schema: detector.schema,
      nonFinite: 'refuse',
    });
    if (table.rows > this.options.limits.maxRowsPerCall) {
      throw new ResourceExhaustedError(
        `data: ${table.rows} rows; at most ${this.options.limits.maxRowsPerCall} (--max-rows-per-call)`,
      );
    }
    return table;
  }

  private threshold(record: DetectorRecord): ThresholdState | undefined {
    return record.threshold;
  }

  /**
   * Scores rows; needs a fit, not a threshold.
   * @throws NotFoundError; FailedPreconditionError when not fitted; InvalidArgumentError for bad data.
   */
  score(name: string, tensors: readonly Tensor[]): BatchScores {
    const detector = this.scorer(name);
    const table = this.tableOf(detector, tensors);
    const result = detector.score(table);
    const threshold = this.threshold(this.record(name));
    return {
      version: detector.version,
      instanceScores: result.instanceScores,
      ...(result.featureScores ? { featureScores: splitRows(result.featureScores, table.rows) } : {}),
      ...(threshold ? { threshold: threshold.value } : {}),
    };
  }

  /**
   * Judges rows; needs a fit and a threshold. Mahalanobis with update_on_predict adds the
   * inlier rows to its running statistics, saved before this resolves.
   * @throws as {@link score}; FailedPreconditionError without a threshold, naming the call to make.
   */
  async predict(
    name: string,
    tensors: readonly Tensor[],
    options: { returnInstanceScore: boolean; returnFeatureScore: boolean },
  ): Promise<Prediction> {
    const record = this.record(name);
    const detector = this.scorer(name);
    const threshold = this.requireThreshold(record);
    const table = this.tableOf(detector, tensors);
    const result = detector.score(table);
    const isOutlier = Array.from(result.instanceScores, (score) => score > threshold.value);
    const online = record.spec.kind === 'mahalanobis' && record.spec.updateOnPredict;
    if (online) await this.update(name, detector.version, table, (row) => !isOutlier[row]);
    return {
      meta: {
        name,
        kind: ALIBI_KIND_NAMES[record.spec.kind],
        online,
        schemaVersion: DETECTOR_SCHEMA_VERSION,
        version: detector.version,
      },
      isOutlier,
      instanceScores: options.returnInstanceScore ? result.instanceScores : new Float64Array(0),
      threshold: threshold.value,
      featureScores:
        options.returnFeatureScore && result.featureScores ? splitRows(result.featureScores, table.rows) : [],
    };
  }

  private requireThreshold(record: DetectorRecord): ThresholdState {
    const threshold = this.threshold(record);
    if (!threshold) {
      throw new FailedPreconditionError(
        `detector ${quoteName(record.spec.name)}: no threshold, call InferThreshold first (or create it with config.threshold or config.threshold_percentile)`,
      );
    }
    return threshold;
  }

  /**
   * Adds the kept rows of `table` to `name`'s Mahalanobis running statistics and saves them.
   * Serialised with the detector's other changes; a version other than the newest is ignored.
   */
  update(
    name: string,
    version: number,
    table: FeatureTable,
    keepRow: (row: number) => boolean,
    persist = true,
  ): Promise<void> {
    return this.serialised(name, async () => {
      const ready = this.fitted.get(name);
      if (!ready || ready.version !== version) return;
      const current = this.running.get(name);
      const base = current?.version === version ? current.state : (await this.store.get(name, version)).state;
      const next = updateRunning(base, table, keepRow);
      if (next === base) return;
      if (persist) {
        await this.saveRunning(name, version, next);
        this.unsaved.delete(name);
      } else {
        this.unsaved.add(name);
      }
      this.running.set(name, { version, state: next });
      this.changed();
    });
  }

  /**
   * Sets the threshold at a percentile of `tensors`' scores (default 95).
   * @throws as {@link score}; InvalidArgumentError for a bad or double rule.
   */
  async inferThreshold(
    name: string,
    tensors: readonly Tensor[],
    rule: { thresholdPercentile?: number; expectedFalsePositiveRate?: number },
  ): Promise<{ threshold: number; detector: DetectorView }> {
    const percentile = resolvePercentile(rule, '');
    return this.serialised(name, async () => {
      const record = this.record(name);
      const detector = this.scorer(name);
      const scores = detector.score(this.tableOf(detector, tensors)).instanceScores;
      const value = thresholdAtPercentile(scores, percentile);
      const next: DetectorRecord = {
        ...record,
        threshold: { value, source: 'infer_threshold', percentile },
        thresholdVersion: detector.version,
      };
      await this.records.put(next);
      this.changed();
      return { threshold: value, detector: this.viewOf(next) };
    });
  }

  /**
   * Attaches `name` to the live stream (replacing an earlier selector).
   * @throws NotFoundError; FailedPreconditionError when not fitted or without a threshold;
   *   InvalidArgumentError without a selector here or at creation.
   */
  async attach(name: string, selector: EventSelector | undefined): Promise<DetectorView> {
    return this.serialised(name, async () => {
      const record = this.record(name);
      const chosen = selector ?? record.spec.live;
      if (!chosen) {
        throw new InvalidArgumentError(
          `selector: required, detector ${quoteName(name)} was created without a live selector`,
        );
      }
      selectorAttachment(name, chosen);
      this.scorer(name);
      this.requireThreshold(record);
      const next: DetectorRecord = { ...record, attached: true, attachedSelector: chosen };
      await this.records.put(next);
      this.changed();
      return this.viewOf(next);
    });
  }

  /** Detaches `name` (a detached one is returned unchanged). @throws NotFoundError */
  async detach(name: string): Promise<DetectorView> {
    return this.serialised(name, async () => {
      const record = this.record(name);
      if (!record.attached) return this.viewOf(record);
      const { attachedSelector: _selector, ...rest } = record;
      const next: DetectorRecord = { ...rest, attached: false };
      await this.records.put(next);
      this.changed();
      return this.viewOf(next);
    });
  }

  /** Deletes `name`, its versions and running statistics. @throws NotFoundError */
  async delete(name: string): Promise<void> {
    return this.serialised(name, async () => {
      const known = this.records.get(name) || this.records.refusal(name) || this.store.summary(name);
      if (!known) throw notFound(name);
      if (this.store.summary(name)) await this.fitted.delete(name);
      await this.records.remove(name);
      await rm(this.runningFile(name), { force: true });
      this.running.delete(name);
      this.lineages.delete(name);
      this.trainings.delete(name);
      for (let i = this.refusedDetectors.length - 1; i >= 0; i--) {
        if (this.refusedDetectors[i]!.name === name) this.refusedDetectors.splice(i, 1);
      }
      this.changed();
    });
  }

  /** One detector and its versions' lineage, newest first. @throws NotFoundError / FailedPreconditionError */
  async get(name: string): Promise<{ detector: DetectorView; versions: VersionLineage[] }> {
    const record = this.record(name);
    const versions: VersionLineage[] = [];
    const summary = this.store.summary(name);
    for (const version of [...(summary?.versions ?? [])].reverse()) {
      const saved = await this.store.get(name, version);
      versions.push(this.lineageOf(saved.lineage, record, version === summary?.latest));
    }
    return { detector: this.viewOf(record), versions };
  }

  /**
   * A page of detectors in name order.
   * @throws InvalidArgumentError for a page size over the maximum or a token not issued here.
   */
  list(pageSize: number, pageToken: string): { detectors: DetectorView[]; nextPageToken: string } {
    const size = pageSize || DEFAULT_DETECTORS_PAGE_SIZE;
    if (size > MAX_DETECTORS_PAGE_SIZE) {
      throw new InvalidArgumentError(`page_size: ${size}; at most ${MAX_DETECTORS_PAGE_SIZE}`);
    }
    let after = '';
    if (pageToken) {
      const text = pageToken.startsWith(TOKEN_PREFIX)
        ? Buffer.from(pageToken.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')
        : '';
      if (!/^[a-z0-9-]{1,63}$/.test(text)) {
        throw new InvalidArgumentError(
          `page_token: ${JSON.stringify(pageToken.slice(0, 64))} was not issued by this service`,
        );
      }
      after = text;
    }
    const all = this.records.all().filter((r) => r.spec.name > after);
    const page = all.slice(0, size);
    const more = all.length > size;
    return {
      detectors: page.map((r) => this.viewOf(r)),
      nextPageToken: more
        ? TOKEN_PREFIX + Buffer.from(page.at(-1)!.spec.name, 'utf8').toString('base64url')
        : '',
    };
  }

  /** Every detector, in name order. */
  all(): DetectorView[] {
    return this.records.all().map((record) => this.viewOf(record));
  }

  /** Every attached detector ready to score live events (cached until a change). */
  liveTargets(): readonly ScoringTarget[] {
    if (this.targets) return this.targets;
    const targets: ScoringTarget[] = [];
    for (const record of this.records.all()) {
      if (!record.attached || !record.attachedSelector || !record.threshold) continue;
      const target = this.targetOf(record.spec.name, record.attachedSelector);
      if (target) targets.push(target);
    }
    this.targets = targets;
    return targets;
  }

  /**
   * `name` as a scoring target over `selector` (ScoreHistory).
   * @throws as {@link predict} (not fitted, no threshold), InvalidArgumentError for a bad selector.
   */
  historyTarget(name: string, selector: EventSelector | undefined): ScoringTarget {
    const record = this.record(name);
    const chosen = selector ?? record.attachedSelector ?? record.spec.live;
    if (!chosen) {
      throw new InvalidArgumentError(
        `selector: required, detector ${quoteName(name)} has no live selector to default to`,
      );
    }
    this.scorer(name);
    this.requireThreshold(record);
    return this.targetOf(name, chosen)!;
  }

  private targetOf(name: string, selector: EventSelector): ScoringTarget | undefined {
    const record = this.records.get(name);
    let detector: ReturnType<OutlierDetectors['scorer']>;
    try {
      detector = this.scorer(name);
    } catch {
      return undefined;
    }
    if (!record?.threshold) return undefined;
    const attachment = selectorAttachment(name, selector);
    const schema = detector.schema;
    return {
      name,
      version: detector.version,
      kind: detector.kind,
      threshold: record.threshold.value,
      selector,
      attachment,
      reader: new EventRowReader(attachment, schema, 'refuse'),
      updateFromLive: record.spec.kind === 'mahalanobis' && record.spec.updateFromLive,
      score: (values, rows) => detector.score(fromRowMajor(schema, values, rows)).instanceScores,
    };
  }

  /**
   * Adds a live batch's inlier rows (values row-major) to a target's Mahalanobis statistics in
   * memory; {@link saveUnsaved} writes them (the service's --running-save-interval-ms).
   */
  updateFromLive(
    target: ScoringTarget,
    values: Float64Array,
    rows: number,
    keepRow: (row: number) => boolean,
  ): Promise<void> {
    const ready = this.fitted.get(target.name);
    if (!ready) return Promise.resolve();
    return this.update(target.name, target.version, fromRowMajor(ready.schema, values, rows), keepRow, false);
  }

  /** Saves the running statistics the live stream changed since their last save. */
  async saveUnsaved(): Promise<void> {
    for (const name of [...this.unsaved]) {
      await this.serialised(name, async () => {
        const running = this.running.get(name);
        this.unsaved.delete(name);
        if (running) await this.saveRunning(name, running.version, running.state);
      });
    }
  }

  private lineageOf(lineage: DetectorLineage, record: DetectorRecord, newest: boolean): VersionLineage {
    const training = newest ? this.trainings.get(record.spec.name) : undefined;
    const seed = lineage.params.seed;
    return {
      name: lineage.detector,
      version: lineage.version,
      kind: record.spec.kind,
      params: lineage.params,
      referenceSha256: lineage.reference.sha256,
      referenceRows: lineage.reference.rows,
      featureNames: lineage.features.map((f) => f.name),
      createTimeMs: Date.parse(lineage.createTime),
      sightlineVersion: lineage.sightlineVersion,
      creator: lineage.creator,
      referenceSource: lineage.reference.source ?? '',
      seed: typeof seed === 'number' ? seed : 0,
      referenceSkippedEvents: lineage.reference.skippedEvents ?? {},
      ...(training ? { training } : {}),
    };
  }

  private viewOf(record: DetectorRecord): DetectorView {
    const name = record.spec.name;
    const lineage = this.lineages.get(name);
    const ready = this.fitted.get(name);
    const running = this.running.get(name);
    const threshold = this.threshold(record);
    const live = record.attachedSelector ?? record.spec.live;
    const fittedParams = lineage ? { ...record.spec, params: lineage.params } : record.spec;
    return {
      spec: fittedParams,
      state: !ready ? 'created' : threshold ? 'threshold_set' : 'fitted',
      schemaVersion: DETECTOR_SCHEMA_VERSION,
      ...(threshold ? { threshold } : {}),
      inputs: record.inputs ?? [],
      featureNames: lineage?.features.map((f) => f.name) ?? [],
      referenceRows: lineage?.reference.rows ?? 0,
      attached: record.attached,
      ...(live ? { live } : {}),
      createTimeMs: record.createTimeMs,
      ...(record.fitTimeMs === undefined ? {} : { fitTimeMs: record.fitTimeMs }),
      producerVersion: record.producerVersion ?? '',
      version: ready?.version ?? 0,
      ...(lineage ? { lineage: this.lineageOf(lineage, record, true) } : {}),
      runningRows:
        record.spec.kind === 'mahalanobis' &&
        (record.spec.updateOnPredict || record.spec.updateFromLive) &&
        ready
          ? running && running.version === ready.version
            ? runningRows(running.state)
            : (lineage?.reference.rows ?? 0)
          : 0,
    };
  }
}

/** Row-major feature scores split per row. */
function splitRows(values: Float64Array, rows: number): Float64Array[] {
  const width = rows === 0 ? 0 : values.length / rows;
  const out: Float64Array[] = [];
  for (let r = 0; r < rows; r++) out.push(values.subarray(r * width, (r + 1) * width));
  return out;
}
