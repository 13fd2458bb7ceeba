/**
 * The {@link DriftEngine} over libs/detect: tables from tensors and events, the drift kinds'
 * fit and score, and the conversion of detect's DriftResult into the service's verdict.
 * Fitted versions are kept by libs/detect's DetectorStore; live windows by
 * {@link LiveWindows}; history scans by {@link historyScan}.
 */

import { join } from 'node:path';
import {
  contractColumnNames,
  DETECTOR_SCHEMA_VERSION,
  type DetectorLineage as DetectLineage,
  DetectorStore,
  type DriftKernels,
  DriftKinds,
  type DriftResult,
  detectSelection,
  type FeatureTable,
  type FittedState,
  fromRowMajor,
  isOnlineKind,
  noReadableEventsError,
  type OnlineBudget,
  OnlineStates,
  plainTensor,
  referenceDigest,
  type ScoringDetector,
  type ShareOutcome,
  STATS_KERNELS,
  scoringDetector,
  skippedEventCounts,
  TableInputError,
  tableFromStoredEvents,
  tableFromTensors,
  type WindowShare,
} from '@sightline/detect';
import {
  type Cancellation,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  quoteName,
  ResourceExhaustedError,
} from '@sightline/errors';
import type { EventReader, InferenceEvent } from '@sightline/events';
import type { Logger } from '@sightline/service-kit';
import type { Tensor } from '@sightline/tensor';
import type {
  DriftEngine,
  EngineLimits,
  EngineListener,
  FitProvenance,
  FittedInfo,
  ReferenceInput,
  RefusedVersion,
} from '../data-plane/drift-engine.js';
import type {
  DetectorSpec,
  DriftKindName,
  EventSelection,
  HistoryItem,
  InputSpec,
  VersionLineage,
  WindowSettings,
} from '../data-plane/drift-types.js';
import type { DriftVerdict, FeatureVerdict } from '../results/drift-event.js';
import type { OffThreadScorer } from '../scoring/scoring-pool.js';
import { sharedState } from '../scoring/scoring-protocol.js';
import { historyScan } from './history-scan.js';
import { LiveWindows, type ReplicationSettings } from './live-windows.js';
import { ONLINE_STATE_FILE, readOnlineState, writeOnlineState } from './online-state-file.js';

/** PCA reference chunks when the config sets no rows per chunk (libs/detect's default). */
const PCA_MIN_CHUNKS = 2;

/** Options of {@link createDetectEngine}. */
export interface DetectEngineOptions {
  /** Where fitted versions are saved (libs/detect's DetectorStore). */
  readonly directory: string;
  /** Written into each version's lineage. */
  readonly sightlineVersion: string;
  /** Where open live windows are checkpointed. */
  readonly windowsDirectory: string;
  readonly listener: EngineListener;
  readonly limits: EngineLimits;
  readonly now: () => number;
  readonly logger: Logger;
  /** The statistical kernels (tests may pass libs/detect's reference double). */
  readonly kernels?: DriftKernels;
  /** Replicas (--replicas, --merge-into); absent: this service scores its own windows. */
  readonly replication?: ReplicationSettings;
  /**
   * The scoring threads (the same kernels loaded there): Score, Predict, live and history
   * windows are scored there; without it, on the caller's thread.
   */
  readonly scoring?: OffThreadScorer;
}

/** A fitted version loaded for scoring. */
export interface LoadedVersion {
  readonly info: FittedInfo;
  readonly state: FittedState;
  readonly kind: DriftKindName;
  /** What the live scorer and history runs score with. */
  readonly scoring: ScoringDetector<DriftResult>;
  /** The scoring threads' cache key of this version (unique per load, so a reused number never aliases). */
  readonly key: string;
}

/** Builds the engine. */
export function createDetectEngine(options: DetectEngineOptions): DriftEngine {
  return new DetectEngine(options);
}

class DetectEngine implements DriftEngine {
  private readonly kinds: DriftKinds;
  private readonly store: DetectorStore;
  private readonly loaded = new Map<string, LoadedVersion>();
  private readonly live: LiveWindows;
  /** Online detectors' running windows (the fitted versions stay immutable). */
  private readonly online: OnlineStates;
  /** Loads so far: part of each cache key. */
  private loads = 0;

  constructor(private readonly options: DetectEngineOptions) {
    this.kinds = new DriftKinds(options.kernels ?? STATS_KERNELS);
    this.online = new OnlineStates(options.kernels ?? STATS_KERNELS);
    this.store = new DetectorStore({
      dataDir: options.directory,
      sightlineVersion: options.sightlineVersion,
      now: options.now,
    });
    this.live = new LiveWindows({
      directory: options.windowsDirectory,
      listener: options.listener,
      maxRequestIds: options.limits.maxRequestIdsPerEvent,
      detectors: { get: (name) => this.loaded.get(name)?.scoring },
      verdict: (result) => driftVerdictOf(result, false),
      clock: options.now,
      logger: options.logger,
      ...(options.replication ? { replication: options.replication } : {}),
    });
  }

  mergeWindowShare(share: () => WindowShare): ShareOutcome {
    return this.live.mergeShare(share);
  }

  async load(
    names: readonly string[],
  ): Promise<{ fitted: Map<string, FittedInfo>; refused: RefusedVersion[] }> {
    const fitted = new Map<string, FittedInfo>();
    const { failures } = await this.store.load();
    const refused: RefusedVersion[] = failures.map((f) => ({
      name: f.detector,
      version: f.version,
      reason: f.reason,
    }));
    for (const name of names) {
      if (this.store.summary(name)?.latest === undefined) continue;
      try {
        const loaded = this.loadedOf(await this.store.get(name));
        this.replaceLoaded(name, loaded);
        fitted.set(name, loaded.info);
      } catch (error) {
        refused.push({ name, reason: error instanceof Error ? error.message : String(error) });
      }
    }
    return { fitted, refused };
  }

  async fit(
    spec: DetectorSpec,
    reference: ReferenceInput,
    provenance: FitProvenance,
    budget?: OnlineBudget,
  ): Promise<FittedInfo & { readonly inputs: readonly InputSpec[]; readonly unchanged?: boolean }> {
    const kind = this.kinds.get(spec.kind);
    const nonFinite = spec.kind === 'quality' ? 'keep' : 'refuse';
    let table: FeatureTable;
    let inputs: InputSpec[];
    let skipped: Record<string, number> | undefined;
    if ('tensors' in reference) {
      const names = contractColumnNames(reference.tensors);
      checkCategorical(spec, names);
      table = tableFromTensors(reference.tensors.map(plainTensor), {
        columnNames: names,
        categorical: spec.categoricalFeatures,
        nonFinite,
      });
      inputs = reference.tensors.map((t) => ({
        name: t.name,
        datatype: t.datatype,
        rowShape: t.shape.slice(1),
      }));
    } else {
      const { reader, fromUnixMs, toUnixMs, selection, cancellation } = reference.stored;
      const read = await tableFromStoredEvents({
        reader,
        fromUnixMs,
        toUnixMs,
        cancellation,
        attachment: {
          modelName: selection.modelName,
          ...(selection.modelVersion ? { modelVersion: selection.modelVersion } : {}),
          ...(selection.graph ? { graph: selection.graph } : {}),
          ...detectSelection(selection),
          categorical: spec.categoricalFeatures,
        },
        nonFinite,
        maxRows: this.options.limits.maxReferenceRows,
      });
      if (!read.table) {
        // The range and the model say where nothing was found (a trailing refit's range moves).
        const none = noReadableEventsError(read.unreadable, read.skippedWidths);
        const counted = none.message !== 'no readable events';
        throw new TableInputError(
          'empty',
          `reference_events: ${none.message} of ${quoteName(selection.modelName)} from ${new Date(fromUnixMs).toISOString()} to ${new Date(toUnixMs).toISOString()}${counted ? '' : ' (none stored in the range: check the model name, the range and the event store)'}`,
          'reference_events',
        );
      }
      table = read.table;
      skipped = skippedEventCounts(read);
      if (reference.stored.minRows !== undefined && table.rows < reference.stored.minRows) {
        throw new InvalidArgumentError(
          `reference_events: ${table.rows} rows in the range; at least ${reference.stored.minRows} are needed (trailing_reference.min_rows)`,
        );
      }
      checkCategorical(spec, table.names);
      inputs = [{ name: selection.tensors[0] ?? '', datatype: 'FP64', rowShape: [table.names.length] }];
    }
    if (table.rows > this.options.limits.maxReferenceRows) {
      throw new ResourceExhaustedError(
        `reference: ${table.rows} rows; at most ${this.options.limits.maxReferenceRows} (--max-reference-rows)`,
      );
    }
    const digest = referenceDigest(table);
    const current = this.loaded.get(spec.name);
    if (current && provenance.unlessReferenceSha256 === digest) {
      // The same reference as the newest version: a refit would only add an identical version.
      return { ...current.info, inputs, unchanged: true };
    }
    const params: Record<string, unknown> = { ...spec.params };
    if (spec.effectSizeAlert) params.alert = { ...spec.effectSizeAlert };
    if (spec.kind === 'pca' && typeof params.chunkRows === 'number') {
      params.chunks = Math.max(PCA_MIN_CHUNKS, Math.floor(table.rows / params.chunkRows));
    }
    delete params.chunkRows;
    const state = kind.fit(table, params, budget ? { budget } : {});
    const saved = await this.store.save(spec.name, {
      state,
      referenceSha256: digest,
      referenceSource: provenance.referenceSource,
      ...(skipped ? { referenceSkippedEvents: skipped } : {}),
      creator: provenance.creator,
    });
    const loaded = this.loadedOf(saved);
    this.replaceLoaded(spec.name, loaded);
    // A new version starts its window at t = 0.
    this.online.drop(spec.name);
    return { ...loaded.info, inputs };
  }

  predictOnline(name: string, tensors: readonly Tensor[], addRows: boolean): DriftVerdict {
    const version = this.requireOnline(name);
    const table = this.tableOf(version, tensors);
    const result = addRows
      ? this.online.predict(name, version.info.version, version.state, table)
      : this.online.score(name, version.info.version, version.state, table);
    return driftVerdictOf(result, false);
  }

  resetOnline(name: string): void {
    const version = this.requireOnline(name);
    this.online.reset(name, version.info.version, version.state);
  }

  onlineTime(name: string): number | undefined {
    const version = this.loaded.get(name);
    if (!version || !isOnlineKind(version.kind)) return undefined;
    return this.online.time(name, version.info.version);
  }

  async refitOnline(
    name: string,
    ert: number | undefined,
    seed: number | undefined,
    budget: OnlineBudget,
  ): Promise<FittedInfo & { readonly threshold: number }> {
    const version = this.requireOnline(name);
    const saved = await this.store.get(name, version.info.version);
    const state = saved.state;
    const reference = fromRowMajor(state.schema, state.arrays.reference!, state.referenceRows);
    const params = {
      ...state.params,
      ...(ert !== undefined ? { ert } : {}),
      ...(seed !== undefined ? { seed } : {}),
    };
    const refitted = this.kinds.get(version.kind).fit(reference, params, { budget });
    const next = await this.store.save(name, {
      state: refitted,
      referenceSha256: saved.lineage.reference.sha256,
      referenceSource: saved.lineage.reference.source ?? '',
      creator: saved.lineage.creator,
    });
    const loaded = this.loadedOf(next);
    this.replaceLoaded(name, loaded);
    this.online.drop(name);
    const thresholds = (refitted.json.online as { thresholds: (number | null)[] }).thresholds;
    return { ...loaded.info, threshold: thresholds[thresholds.length - 1] ?? Number.NaN };
  }

  async score(
    name: string,
    tensors: readonly Tensor[],
    options: { readonly perFeature: boolean },
  ): Promise<DriftVerdict> {
    const version = this.require(name);
    const table = this.tableOf(version, tensors);
    const result = version.scoring.scoreAsync
      ? await version.scoring.scoreAsync(table)
      : version.scoring.score(table);
    return driftVerdictOf(result, options.perFeature);
  }

  async versions(name: string): Promise<VersionLineage[]> {
    const numbers = [...(this.store.summary(name)?.versions ?? [])].reverse();
    const lineages: VersionLineage[] = [];
    for (const version of numbers) {
      const saved = await this.store.get(name, version).catch(() => undefined);
      if (saved) lineages.push(lineageOf(saved.lineage, saved.state.params));
    }
    return lineages;
  }

  async delete(name: string): Promise<void> {
    this.live.detach(name, 'deleted');
    this.replaceLoaded(name, undefined);
    this.online.drop(name);
    // A detector never fitted has nothing saved.
    await this.store.delete(name).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
  }

  attach(name: string, selection: EventSelection, window: WindowSettings): void {
    detectSelection(selection);
    this.live.attach(name, selection, window);
  }

  detach(name: string): void {
    this.live.detach(name, 'detached');
  }

  offer(events: readonly InferenceEvent[]): void {
    this.live.offer(events);
  }

  tick(): void {
    this.live.tick();
  }

  async restoreWindows(): Promise<void> {
    await this.live.restore();
    const file = join(this.options.windowsDirectory, ONLINE_STATE_FILE);
    const { checkpoint, unreadable } = await readOnlineState(file);
    if (unreadable) {
      this.options.logger.warn(
        { file, reason: unreadable },
        'online detector state refused; their windows start again at t = 0',
      );
    }
    if (!checkpoint) return;
    const { restored, dropped } = this.online.restore(checkpoint, (name) => {
      const version = this.loaded.get(name);
      return version ? { version: version.info.version, state: version.state } : undefined;
    });
    this.options.logger.info({ restored, dropped }, 'online detector state restored');
  }

  history(
    name: string,
    reader: EventReader,
    request: { fromUnixMs: number; toUnixMs: number; selection: EventSelection; window: WindowSettings },
    cancellation: Cancellation,
  ): AsyncIterable<HistoryItem> {
    const version = this.require(name);
    return historyScan({
      reader,
      request,
      // Online kinds run the stored events as a fresh stream from t = 0, apart from the live window.
      detector: isOnlineKind(version.kind)
        ? scoringDetector(name, version.info.version, version.state, this.kinds.get(version.kind))
        : version.scoring,
      verdict: (result) => driftVerdictOf(result, false),
      maxRequestIds: this.options.limits.maxRequestIdsPerEvent,
      cancellation,
    });
  }

  async checkpoint(): Promise<void> {
    await this.live.checkpoint();
    await writeOnlineState(join(this.options.windowsDirectory, ONLINE_STATE_FILE), this.online.checkpoint());
  }

  private tableOf(version: LoadedVersion, tensors: readonly Tensor[]): FeatureTable {
    if (tensors.length === 0) throw new InvalidArgumentError('data: the batch is empty: no tensors given');
    return tableFromTensors(tensors.map(plainTensor), {
      columnNames: contractColumnNames(tensors),
      schema: version.state.schema,
      nonFinite: version.kind === 'quality' ? 'keep' : 'refuse',
    });
  }

  private requireOnline(name: string): LoadedVersion {
    const version = this.require(name);
    if (!isOnlineKind(version.kind)) {
      throw new FailedPreconditionError(
        `detector ${quoteName(name)}: kind ${version.kind} is offline; only online detectors have state to reset or feed row by row`,
      );
    }
    return version;
  }

  settled(): Promise<void> {
    return this.live.settled();
  }

  /** Puts `loaded` in use for `name` (or none) and frees the previous version on the scoring threads. */
  private replaceLoaded(name: string, loaded: LoadedVersion | undefined): void {
    const previous = this.loaded.get(name);
    if (loaded) this.loaded.set(name, loaded);
    else this.loaded.delete(name);
    if (previous && previous.key !== loaded?.key) this.options.scoring?.evict(previous.key);
  }

  private require(name: string): LoadedVersion {
    const version = this.loaded.get(name);
    if (!version) throw new InvalidArgumentError(`detector ${quoteName(name)}: not fitted`);
    return version;
  }

  private loadedOf(saved: { version: number; lineage: DetectLineage; state: FittedState }): LoadedVersion {
    const lineage = lineageOf(saved.lineage, saved.state.params);
    const pool = this.options.scoring;
    // On the scoring threads the state's arrays are shared memory: each thread gets them once.
    const state = pool ? sharedState(saved.state) : saved.state;
    const key = `${saved.lineage.detector}\u0000${saved.version}\u0000${++this.loads}`;
    const inThread = scoringDetector(
      saved.lineage.detector,
      saved.version,
      state,
      this.kinds.get(lineage.kind),
    );
    const label = `detector ${quoteName(saved.lineage.detector)} version ${saved.version}`;
    return {
      kind: lineage.kind,
      state,
      key,
      // An attached online detector feeds each live batch's rows to its running window, on
      // this thread (the window is this thread's state); the offline kinds score on the
      // scoring threads when the service has them.
      scoring: isOnlineKind(lineage.kind)
        ? scoringDetector(saved.lineage.detector, saved.version, saved.state, {
            score: (fitted, table) =>
              this.online.predict(saved.lineage.detector, saved.version, fitted, table),
          })
        : pool
          ? {
              ...inThread,
              scoreAsync: (table) => pool.score({ key, kind: lineage.kind, state, table, label }),
            }
          : inThread,
      info: {
        version: saved.version,
        lineage,
        featureCount: saved.state.schema.names.length,
        schemaVersion: DETECTOR_SCHEMA_VERSION,
      },
    };
  }
}

function checkCategorical(spec: DetectorSpec, names: readonly string[]): void {
  for (const column of spec.categoricalFeatures) {
    if (!names.includes(column)) {
      throw new InvalidArgumentError(
        `categorical_features: ${quoteName(column)} is not a feature of the data; its features are ${names
          .slice(0, 8)
          .map((n) => quoteName(n))
          .join(', ')}${names.length > 8 ? ` and ${names.length - 8} more` : ''}`,
      );
    }
  }
}

/** The service's lineage of a saved version. */
function lineageOf(lineage: DetectLineage, params: Readonly<Record<string, unknown>>): VersionLineage {
  return {
    name: lineage.detector,
    version: lineage.version,
    kind: lineage.kind as DriftKindName,
    params: lineage.params,
    referenceSha256: lineage.reference.sha256,
    referenceRows: lineage.reference.rows,
    featureNames: lineage.features.map((f) => f.name),
    featureTypes: lineage.features.map((f) => f.kind),
    createTimeMs: Date.parse(lineage.createTime),
    sightlineVersion: lineage.sightlineVersion,
    creator: lineage.creator,
    referenceSource: lineage.reference.source ?? '',
    seed: typeof params.seed === 'number' ? params.seed : 0,
    referenceSkippedEvents: lineage.reference.skippedEvents ?? {},
  };
}

const VERDICT_ON: Record<string, string> = {
  'p-value': 'p_value',
  'test-statistic': 'test_stat',
  quality: 'failure_rate',
  'reconstruction-error': 'distance',
};

const METRIC_LABEL: Record<string, string> = {
  psi: 'psi',
  jensenShannon: 'jensen_shannon',
  wasserstein: 'wasserstein',
  hellinger: 'hellinger',
};

/** The service's verdict of a detect result. */
export function driftVerdictOf(result: DriftResult, perFeature: boolean): DriftVerdict {
  const alpha = result.overall.alpha;
  const features: FeatureVerdict[] = result.features.map((feature, index) => {
    const quality = feature.quality;
    return {
      index,
      name: feature.name,
      isDrift: perFeature && feature.pValue !== undefined ? feature.pValue < alpha : feature.drift,
      // A multivariate kind's feature has test "none" (NO_FEATURE_TEST) and neither: 0 here
      // means "not tested", the feature is kept for its effect sizes, and the metrics skip
      // its per-feature test series.
      pValue: feature.pValue ?? 0,
      statistic: feature.statistic ?? 0,
      test: feature.test,
      featureType: feature.kind,
      ...(feature.effectSizes
        ? {
            effectSizes: {
              psi: feature.effectSizes.psi,
              jensenShannon: feature.effectSizes.jensenShannon,
              ...(feature.effectSizes.wasserstein !== undefined
                ? { wasserstein: feature.effectSizes.wasserstein }
                : {}),
              hellinger: feature.effectSizes.hellinger,
            },
          }
        : {}),
      ...(quality
        ? {
            quality: {
              rows: result.rows,
              missing: quality.missing + quality.infinite,
              // Out of range (beyond the reference's min/max) is a subset of out of bounds.
              outOfBounds: quality.outOfBounds,
              unseenCategories: quality.unseenCategories,
              typeViolations: quality.typeViolations,
              failureRate:
                result.rows === 0
                  ? 0
                  : (quality.missing +
                      quality.infinite +
                      quality.outOfBounds +
                      quality.unseenCategories +
                      quality.typeViolations) /
                    result.rows,
            },
          }
        : {}),
      ...(feature.statisticErrorBound !== undefined
        ? { statisticErrorBound: feature.statisticErrorBound }
        : {}),
      ...(feature.pValueRange ? { pValueRange: feature.pValueRange } : {}),
    };
  });
  const multivariate = result.multivariate;
  const perFeatureVerdict = perFeature && multivariate === undefined;
  const verdictOn =
    result.overall.basis === 'effect-size' && result.alert
      ? (METRIC_LABEL[result.alert.metric] ?? result.alert.metric)
      : (VERDICT_ON[result.overall.basis] ?? 'p_value');
  return {
    isDrift: perFeatureVerdict ? features.some((f) => f.isDrift) : result.overall.drift,
    // The cut-off the verdict used (contract): the effect-size limit under an alert rule, the
    // reconstruction error's upper bound for PCA, else the corrected p-value cut-off.
    threshold: perFeatureVerdict ? alpha : verdictThreshold(result),
    features,
    ...(multivariate
      ? {
          distance: multivariate.statistic,
          distanceThreshold: multivariate.distanceThreshold,
          ...(multivariate.pValue !== undefined ? { pValue: multivariate.pValue } : {}),
          ...(multivariate.sigma !== undefined ? { sigma: multivariate.sigma } : {}),
        }
      : {}),
    pValueAlpha: alpha,
    ...(result.overall.correction !== 'none' && !perFeatureVerdict
      ? { correction: result.overall.correction }
      : {}),
    verdictOn,
    rows: result.rows,
    ...(result.online
      ? {
          online: {
            time: result.online.time,
            testStat: result.online.testStat,
            ...(result.online.driftTime !== undefined ? { driftTime: result.online.driftTime } : {}),
            ert: result.online.ert,
            rows: result.online.steps.map((step) => ({
              time: step.time,
              testStat: step.testStat,
              threshold: step.threshold,
              isDrift: step.drift,
            })),
          },
        }
      : {}),
    ...(result.approximation
      ? {
          approximation: {
            windowRows: result.approximation.windowRows,
            relativeAccuracy: result.approximation.relativeAccuracy,
            ...(result.approximation.sampledRows !== undefined
              ? { sampledRows: result.approximation.sampledRows }
              : {}),
            maxStatisticErrorBound: Math.max(0, ...result.features.map((f) => f.statisticErrorBound ?? 0)),
            note: result.approximation.note,
          },
        }
      : {}),
  };
}

/** The threshold a batch verdict compared against. */
function verdictThreshold(result: DriftResult): number {
  if (result.overall.basis === 'effect-size' && result.alert) return result.alert.above;
  if (result.overall.basis === 'reconstruction-error' && result.multivariate?.distanceThreshold !== undefined)
    return result.multivariate.distanceThreshold;
  return result.overall.threshold;
}
