/**
 * The drift service's one facade: every transport (gRPC, POST /events, the in-process bus)
 * calls it with plain types. It keeps the service's rules (detector life cycle, limits,
 * what is stored and exported per closed window) and drives the detector machinery through
 * the {@link DriftEngine} port; it knows no protobuf type.
 */

import { randomUUID } from 'node:crypto';
import { type Span, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import {
  DEFAULT_ONLINE_BOOTSTRAPS,
  DEFAULT_WINDOW_EXACT_ROWS,
  DEFAULT_WINDOW_SAMPLE_ROWS,
  isOnlineKind,
  type OnlineBudget,
  type ShareOutcome,
  TableInputError,
  trailingReferenceRange,
  type WindowShare,
} from '@sightline/detect';
import {
  type Cancellation,
  FailedPreconditionError,
  InvalidArgumentError,
  isSightlineError,
  NEVER_CANCELLED,
  quoteName,
  ResourceExhaustedError,
} from '@sightline/errors';
import type { EventReader, InferenceEvent, RecordCloudEventSink } from '@sightline/events';
import { DEFAULT_MAX_POOLED_ROWS } from '@sightline/stats';
import type { Tensor } from '@sightline/tensor';
import { DEFAULT_MAX_ONLINE_BOOTSTRAPS, DEFAULT_MIN_TRAILING_REFIT_INTERVAL_MS } from '../config.js';
import type { Attachment, DetectorCatalog } from '../detectors/detector-catalog.js';
import type { DetectorInfo, DriftMetrics } from '../observability/drift-metrics.js';
import type { DriftEventRecord, DriftVerdict } from '../results/drift-event.js';
import type { DriftEventLog, DriftEventPage, DriftEventQuery } from '../results/drift-event-log.js';
import type {
  DriftEngine,
  EngineListener,
  FittedInfo,
  LiveWindowResult,
  RefusedVersion,
} from './drift-engine.js';
import {
  ALIBI_KIND_NAMES,
  DEFAULT_WINDOW,
  type DetectorSpec,
  type DetectorView,
  DRIFT_KINDS,
  type EventSelection,
  type FitInput,
  type HistoryInput,
  type HistoryItem,
  type PredictOptions,
  type PredictOutcome,
  type VersionLineage,
  type WindowSettings,
} from './drift-types.js';

/**
 * Most rows (reference + window) the MMD and LSDD permutation tests take: the kernels'
 * `maxPooledRows` (libs/detect passes no other). A window above it would fail every test, so
 * AttachDetector and ScoreHistory refuse it.
 */
export const KERNEL_MAX_POOLED_ROWS = DEFAULT_MAX_POOLED_ROWS;

/** The saved-detector schema version this service writes (libs/detect's). */
export const DETECTOR_SCHEMA_VERSION = 1;
/** ListDetectors' page size when the call sets none (contract). */
export const DEFAULT_DETECTORS_PAGE_SIZE = 100;
/** ListDetectors' largest page (contract). */
export const MAX_DETECTORS_PAGE_SIZE = 1000;
/** Longest creator recorded in a lineage (contract). */
export const MAX_CREATOR_LENGTH = 256;
/** Longest reference source recorded in a lineage (contract). */
export const MAX_REFERENCE_SOURCE_LENGTH = 1024;

const DETECTORS_TOKEN_PREFIX = 'dt1.';

/** The live window of an online detector: every row closes one, so each row meets the detector as it arrives. */
export const ONLINE_LIVE_WINDOW: WindowSettings = Object.freeze({
  maxRows: 1,
  maxDurationMs: DEFAULT_WINDOW.maxDurationMs,
  minRows: 1,
  mode: 'tumbling',
  slideRows: 1,
});

/** The data plane's limits, from the settings. */
export interface DataPlaneLimits {
  readonly maxReferenceRows: number;
  readonly maxWindowRows: number;
  /** Rows a tumbling window holds raw by default and at most (--max-exact-window-rows). */
  readonly maxExactWindowRows?: number;
  readonly maxRequestIdsPerEvent: number;
  readonly maxHistoryRangeMs: number;
  /** Most bootstrap simulations of an online detector (--max-online-bootstraps). */
  readonly maxOnlineBootstraps?: number;
  /** Shortest refit interval of a trailing reference, in ms (--min-trailing-refit-interval-ms). */
  readonly minTrailingRefitIntervalMs?: number;
}

/** What the data plane is built from. */
export interface DriftDataPlaneOptions {
  readonly catalog: DetectorCatalog;
  readonly engine: DriftEngine;
  readonly log: DriftEventLog;
  readonly metrics: DriftMetrics;
  readonly tracer: Tracer;
  readonly limits: DataPlaneLimits;
  readonly sightlineVersion: string;
  /** Stored events for Fit from events and ScoreHistory; undefined when none is configured. */
  readonly reader: () => EventReader | undefined;
  /** The setting that configures the reader, named when none is. */
  readonly readerSetting: string;
  /**
   * Checked before each use of the reader: throws FailedPreconditionError when its store is
   * missing (a typo'd --events-dir would otherwise read as empty).
   */
  readonly checkReader?: () => Promise<void>;
  readonly sink?: Pick<RecordCloudEventSink<DriftEventRecord>, 'send'>;
  readonly now?: () => number;
  readonly onError: (message: string, error: unknown) => void;
}

/** The drift service's domain facade. */
export class DriftDataPlane implements EngineListener {
  private readonly fitted = new Map<string, FittedInfo>();
  private refusedVersions: RefusedVersion[] = [];
  /** Closed windows being stored, so a caller can wait for them (shutdown, tests). */
  private readonly storing = new Set<Promise<void>>();
  /** Trailing-reference refits under way, by detector (never two at once for one). */
  private readonly refitting = new Map<string, Promise<void>>();
  /**
   * When a trailing refit last failed or found the reference unchanged, by detector: the
   * next try is an interval later (not at every check).
   */
  private readonly refitTriedAt = new Map<string, number>();
  /** The reason of the failure last logged, by detector: a repeated failure is counted, not logged again. */
  private readonly refitFailureLogged = new Map<string, string>();
  private readonly now: () => number;
  /** Online detectors whose last live row was over the threshold (a detection episode is open). */
  private readonly onlineEpisodes = new Map<string, boolean>();

  constructor(private readonly options: DriftDataPlaneOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Saved versions refused at load, for the status and the metric. */
  get refused(): readonly RefusedVersion[] {
    return this.refusedVersions;
  }

  /** Loads the fitted versions of every catalogued detector and re-attaches the attached ones. */
  async load(): Promise<void> {
    const { catalog, engine } = this.options;
    const { fitted, refused } = await engine.load(catalog.names());
    this.refusedVersions = refused;
    for (const [name, info] of fitted) this.fitted.set(name, info);
    for (const name of catalog.names()) {
      const attachment = catalog.get(name).attachment;
      if (attachment && this.fitted.has(name)) engine.attach(name, attachment.selection, attachment.window);
    }
    await engine.restoreWindows();
  }

  /** Creates an unfitted detector. */
  async createDetector(spec: DetectorSpec): Promise<DetectorView> {
    if (!(DRIFT_KINDS as readonly string[]).includes(spec.kind))
      throw new InvalidArgumentError(`config: unknown kind ${quoteName(spec.kind)}`);
    if (spec.liveWindow) this.resolveWindow(spec.liveWindow, 'live_window');
    this.checkOnlineBootstraps(spec);
    const trailing = spec.trailingReference;
    if (trailing) {
      if (!trailing.selection && !spec.live) {
        throw new InvalidArgumentError(
          'config.trailing_reference.selector: required when the detector has no live selector to read its reference from',
        );
      }
      this.checkRange(trailing.lengthMs, 'config.trailing_reference.length');
      const shortest =
        this.options.limits.minTrailingRefitIntervalMs ?? DEFAULT_MIN_TRAILING_REFIT_INTERVAL_MS;
      if (trailing.refitIntervalMs < shortest) {
        throw new InvalidArgumentError(
          `config.trailing_reference.refit_interval: ${trailing.refitIntervalMs} ms; at least ${shortest} ms (--min-trailing-refit-interval-ms: each refit that changes the reference is a version kept on disk)`,
        );
      }
    }
    await this.options.catalog.create(spec, this.now());
    return this.view(spec.name);
  }

  /** Fits the detector and saves the fit as its next version. */
  async fit(
    input: FitInput,
    cancellation: Cancellation & { readonly deadlineMs?: number | undefined },
  ): Promise<DetectorView> {
    const record = this.options.catalog.get(input.name);
    // Checked again at Fit: a detector created before the limit was lowered.
    this.checkOnlineBootstraps(record.spec);
    if (input.creator.length > MAX_CREATOR_LENGTH)
      throw new InvalidArgumentError(
        `creator: ${input.creator.length} characters; at most ${MAX_CREATOR_LENGTH}`,
      );
    if (input.referenceSource.length > MAX_REFERENCE_SOURCE_LENGTH) {
      throw new InvalidArgumentError(
        `reference_source: ${input.referenceSource.length} characters; at most ${MAX_REFERENCE_SOURCE_LENGTH}`,
      );
    }
    return this.inSpan('drift.fit', { 'sightline.detector': input.name }, async () => {
      let reference: Parameters<DriftEngine['fit']>[1];
      let source = input.referenceSource;
      if (input.data) {
        const rows = input.data[0]?.shape[0] ?? 0;
        if (rows > this.options.limits.maxReferenceRows) {
          throw new ResourceExhaustedError(
            `data: ${rows} reference rows; at most ${this.options.limits.maxReferenceRows} (--max-reference-rows)`,
          );
        }
        reference = { tensors: input.data };
      } else {
        const events = input.referenceEvents!;
        this.checkRange(events.toUnixMs - events.fromUnixMs, 'reference_events.range');
        reference = {
          stored: {
            reader: await this.requireReader(),
            fromUnixMs: events.fromUnixMs,
            toUnixMs: events.toUnixMs,
            selection: events.selection,
            cancellation,
            ...(input.minRows !== undefined ? { minRows: input.minRows } : {}),
          },
        };
        if (!source)
          source = `events of ${quoteName(events.selection.modelName)} from ${new Date(events.fromUnixMs).toISOString()} to ${new Date(events.toUnixMs).toISOString()}`;
      }
      // The online kinds' bootstrap is bounded by the call: DEADLINE_EXCEEDED leaves the previous fit.
      const { inputs, unchanged, ...info } = await this.options.engine
        .fit(
          record.spec,
          reference,
          {
            creator: input.creator || 'unknown',
            referenceSource: source,
            ...(input.unlessReferenceSha256 ? { unlessReferenceSha256: input.unlessReferenceSha256 } : {}),
          },
          budgetOf(cancellation),
        )
        .catch((error: unknown) => {
          throw inContractTerms(record.spec.kind, error);
        });
      // Nothing saved: the newest version and its live attachment stay as they are.
      if (unchanged) return this.view(input.name);
      await this.options.catalog.setInputs(input.name, inputs);
      this.fitted.set(input.name, info);
      // A refit takes effect on the live stream at once: the attachment restarts on it. A
      // detector created with a live selector is attached by its first fit.
      const attachment = record.attachment;
      if (attachment) this.options.engine.attach(input.name, attachment.selection, attachment.window);
      else if (record.spec.live) await this.attach(input.name, record.spec.live, record.spec.liveWindow);
      return this.view(input.name);
    });
  }

  /**
   * Starts the trailing-reference refits that are due: a detector's refit is due its
   * refit interval after its newest version's fit time (at once without one), or after its
   * last refit that failed or found the reference unchanged, so the schedule follows from
   * saved state and survives a restart. A refit that fails keeps the previous version; it is
   * counted, and logged when its reason differs from the last one logged. A reference whose
   * SHA-256 equals the newest version's saves nothing (outcome `unchanged`).
   */
  refitDue(): void {
    const now = this.now();
    for (const name of this.options.catalog.names()) {
      const trailing = this.options.catalog.get(name).spec.trailingReference;
      if (!trailing || this.refitting.has(name)) continue;
      const fittedAt = this.fitted.get(name)?.lineage.createTimeMs;
      const triedAt = this.refitTriedAt.get(name);
      const last = Math.max(fittedAt ?? Number.NEGATIVE_INFINITY, triedAt ?? Number.NEGATIVE_INFINITY);
      if (last !== Number.NEGATIVE_INFINITY && now < last + trailing.refitIntervalMs) continue;
      const run = this.refitTrailing(name, now).finally(() => this.refitting.delete(name));
      this.refitting.set(name, run);
    }
  }

  /** Resolves once the trailing refits under way have ended (shutdown, tests). */
  async refitsSettled(): Promise<void> {
    while (this.refitting.size > 0) await Promise.all([...this.refitting.values()]);
  }

  private async refitTrailing(name: string, now: number): Promise<void> {
    const record = this.options.catalog.get(name);
    const trailing = record.spec.trailingReference!;
    const selection = trailing.selection ?? record.attachment?.selection ?? record.spec.live;
    const newest = this.fitted.get(name);
    try {
      if (!selection) throw new FailedPreconditionError('no selector: the detector has no live selector');
      const range = trailingReferenceRange(
        { offsetMs: trailing.offsetMs, durationMs: trailing.lengthMs },
        now,
      );
      const source = `trailing reference: events of ${quoteName(selection.modelName)} from ${new Date(range.fromUnixMs).toISOString()} to ${new Date(range.toUnixMs).toISOString()} (offset ${trailing.offsetMs} ms, length ${trailing.lengthMs} ms, refit every ${trailing.refitIntervalMs} ms)`;
      await this.fit(
        {
          name,
          referenceEvents: { ...range, selection },
          ...(trailing.minRows > 0 ? { minRows: trailing.minRows } : {}),
          creator: TRAILING_REFIT_CREATOR,
          referenceSource: source.slice(0, MAX_REFERENCE_SOURCE_LENGTH),
          ...(newest ? { unlessReferenceSha256: newest.lineage.referenceSha256 } : {}),
        },
        NEVER_CANCELLED,
      );
      this.refitFailureLogged.delete(name);
      if (this.fitted.get(name)?.lineage.version === newest?.lineage.version && newest) {
        this.refitTriedAt.set(name, now);
        this.options.metrics.trailingRefit(name, 'unchanged', '');
      } else {
        this.refitTriedAt.delete(name);
        this.options.metrics.trailingRefit(name, 'fitted', '');
      }
    } catch (error) {
      // The detector may have been deleted meanwhile: nothing to count or retry then.
      if (!this.options.catalog.has(name)) return;
      this.refitTriedAt.set(name, now);
      const reason = refitFailureReason(error);
      this.options.metrics.trailingRefit(name, 'failed', reason);
      if (this.refitFailureLogged.get(name) === reason) return;
      this.refitFailureLogged.set(name, reason);
      this.options.onError(
        `trailing reference of detector ${quoteName(name)} not refitted (${reason}); the previous version stays, the next try is in ${trailing.refitIntervalMs} ms; the same failure again is only counted (sightline_drift_trailing_refits_total)`,
        error,
      );
    }
  }

  /** Recalibration: for the offline test kinds, the threshold in use, unchanged. */
  async inferThreshold(
    name: string,
    ert: number | undefined,
    seed?: number,
    cancellation?: Cancellation & { readonly deadlineMs?: number | undefined },
  ): Promise<{ threshold: number; detector: DetectorView }> {
    const fitted = this.requireFitted(name);
    const { spec } = this.options.catalog.get(name);
    if (isOnlineKind(spec.kind)) {
      this.checkOnlineBootstraps(spec);
      if (ert !== undefined && !(Number.isFinite(ert) && ert > 1)) {
        throw new InvalidArgumentError(`ert: must be above 1 (rule "online.ert_set"), got ${ert}`);
      }
      // New thresholds on the saved reference, saved as the next version; the window restarts.
      const { threshold, ...info } = await this.inSpan(
        'drift.infer_threshold',
        { 'sightline.detector': name },
        () =>
          this.options.engine
            .refitOnline(name, ert, seed, cancellation ? budgetOf(cancellation) : {})
            .catch((error: unknown) => {
              throw inContractTerms(spec.kind, error);
            }),
      );
      this.fitted.set(name, info);
      return { threshold, detector: this.view(name) };
    }
    if (ert !== undefined)
      throw new InvalidArgumentError(`ert: only online kinds take it; ${quoteName(name)} is ${spec.kind}`);
    if (spec.kind === 'mmd' || spec.kind === 'lsdd' || spec.kind === 'pca') {
      throw new FailedPreconditionError(
        `detector ${quoteName(name)}: threshold recalibration of kind ${spec.kind} is not offered by this version; its permutation p-value is computed per batch`,
      );
    }
    const pVal = typeof fitted.lineage.params.pVal === 'number' ? fitted.lineage.params.pVal : 0.05;
    const features = Math.max(1, fitted.featureCount);
    const threshold = fitted.lineage.params.correction === 'fdr' ? pVal : pVal / features;
    return { threshold, detector: this.view(name) };
  }

  /** Statistics, p-values and effect sizes of a batch. */
  async score(name: string, tensors: readonly Tensor[]): Promise<DriftVerdict> {
    this.requireFitted(name);
    const online = isOnlineKind(this.options.catalog.get(name).spec.kind);
    return this.inSpan('drift.score', { 'sightline.detector': name }, async () =>
      online
        ? this.options.engine.predictOnline(name, tensors, false)
        : this.options.engine.score(name, tensors, { perFeature: false }),
    );
  }

  /** Alibi's `{meta, data}` for a batch. */
  async predict(name: string, tensors: readonly Tensor[], options: PredictOptions): Promise<PredictOutcome> {
    const fitted = this.requireFitted(name);
    const { spec } = this.options.catalog.get(name);
    if (isOnlineKind(spec.kind)) {
      const verdict = await this.inSpan('drift.predict', { 'sightline.detector': name }, async () =>
        this.options.engine.predictOnline(name, tensors, true),
      );
      return {
        meta: { name, kind: ALIBI_KIND_NAMES[spec.kind], online: true, schemaVersion: fitted.schemaVersion },
        verdict,
      };
    }
    const verdict = await this.inSpan('drift.predict', { 'sightline.detector': name }, async () =>
      this.options.engine.score(name, tensors, { perFeature: options.driftType === 'feature' }),
    );
    const features = verdict.features.map((feature) => ({
      ...feature,
      pValue: options.returnPValue ? feature.pValue : 0,
      statistic: options.returnDistance ? feature.statistic : 0,
    }));
    const { distance: _distance, ...rest } = verdict;
    return {
      meta: { name, kind: ALIBI_KIND_NAMES[spec.kind], online: false, schemaVersion: fitted.schemaVersion },
      verdict: {
        ...(options.returnDistance ? verdict : rest),
        features,
      },
    };
  }

  /** Scores stored events window by window, sending progress and verdicts. */
  async scoreHistory(
    input: HistoryInput,
    cancellation: Cancellation,
    send: (item: HistoryItem) => Promise<void>,
  ): Promise<void> {
    const fitted = this.requireFitted(input.name);
    this.checkRange(input.toUnixMs - input.fromUnixMs, 'range');
    const reader = await this.requireReader();
    const record = this.options.catalog.get(input.name);
    const window = this.resolveWindow(input.window ?? record.spec.liveWindow ?? {}, 'window');
    this.checkKernelRows(record.spec.kind, fitted, window, 'window');
    checkColumnNames(input.selection, fitted);
    const items = this.options.engine.history(
      input.name,
      reader,
      { fromUnixMs: input.fromUnixMs, toUnixMs: input.toUnixMs, selection: input.selection, window },
      cancellation,
    );
    for await (const item of items) {
      if (cancellation.cancelReason) throw cancellation.cancelReason;
      if (item.verdict && item.windowStartUnixMs !== undefined && item.windowEndUnixMs !== undefined) {
        await this.store({
          eventId: randomUUID(),
          detector: input.name,
          detectorVersion: fitted.version,
          origin: 'history',
          modelName: input.selection.modelName,
          modelVersion: input.selection.modelVersion,
          windowStartUnixMs: item.windowStartUnixMs,
          windowEndUnixMs: item.windowEndUnixMs,
          events: item.events,
          rows: item.rows,
          requestIds: (item.requestIds ?? []).slice(0, this.options.limits.maxRequestIdsPerEvent),
          requestIdCount: item.events,
          closedBy: item.closedBy ?? 'rows',
          timeUnixMs: this.now(),
          verdict: item.verdict,
        });
      }
      await send(item);
    }
  }

  /** Attaches the detector to the live stream. */
  async attach(
    name: string,
    selection: EventSelection,
    window: Partial<WindowSettings> | undefined,
  ): Promise<DetectorView> {
    const fitted = this.requireFitted(name);
    const record = this.options.catalog.get(name);
    // Online kinds take the live rows one by one: their BatchWindow does not apply.
    const resolved = isOnlineKind(record.spec.kind)
      ? ONLINE_LIVE_WINDOW
      : this.resolveWindow(window ?? record.spec.liveWindow ?? {}, 'window');
    this.checkKernelRows(record.spec.kind, fitted, resolved, 'window');
    checkColumnNames(selection, fitted);
    const attachment: Attachment = { selection, window: resolved };
    await this.options.catalog.setAttachment(name, attachment);
    this.options.engine.attach(name, selection, resolved);
    return this.view(name);
  }

  /** Detaches the detector from the live stream. */
  async detach(name: string): Promise<DetectorView> {
    const record = this.options.catalog.get(name);
    if (!record.attachment) throw new FailedPreconditionError(`detector ${quoteName(name)}: not attached`);
    this.options.engine.detach(name);
    this.onlineEpisodes.delete(name);
    await this.options.catalog.setAttachment(name, undefined);
    return this.view(name);
  }

  /** Online kinds: empties the window and sets t to 0 (Alibi's reset_state); the thresholds stay. */
  async reset(name: string): Promise<DetectorView> {
    const record = this.options.catalog.get(name);
    if (!isOnlineKind(record.spec.kind)) {
      throw new FailedPreconditionError(
        `detector ${quoteName(name)}: kind ${record.spec.kind} is offline; only online detectors have state to reset`,
      );
    }
    this.requireFitted(name);
    this.options.engine.resetOnline(name);
    return this.view(name);
  }

  /** One detector and its versions' lineage, newest first. */
  async getDetector(name: string): Promise<{ detector: DetectorView; versions: VersionLineage[] }> {
    const detector = this.view(name);
    return { detector, versions: await this.options.engine.versions(name) };
  }

  /** Detectors in name order, a page at a time. */
  async listDetectors(
    pageSize: number,
    pageToken: string,
  ): Promise<{ detectors: DetectorView[]; nextPageToken: string }> {
    const size = pageSize || DEFAULT_DETECTORS_PAGE_SIZE;
    if (size > MAX_DETECTORS_PAGE_SIZE)
      throw new InvalidArgumentError(`page_size: ${size}; at most ${MAX_DETECTORS_PAGE_SIZE}`);
    let after = '';
    if (pageToken) {
      if (!pageToken.startsWith(DETECTORS_TOKEN_PREFIX))
        throw new InvalidArgumentError('page_token: not issued by this service');
      after = Buffer.from(pageToken.slice(DETECTORS_TOKEN_PREFIX.length), 'base64url').toString('utf8');
    }
    const names = this.options.catalog.names().filter((name) => name > after);
    const page = names.slice(0, size);
    const more = names.length > size;
    return {
      detectors: page.map((name) => this.view(name)),
      nextPageToken: more
        ? DETECTORS_TOKEN_PREFIX + Buffer.from(page.at(-1)!, 'utf8').toString('base64url')
        : '',
    };
  }

  /** Deletes the detector, every saved version and its attachment. */
  async deleteDetector(name: string): Promise<void> {
    const { catalog, engine } = this.options;
    if (!catalog.has(name) && !catalog.refused.has(name)) catalog.get(name);
    engine.detach(name);
    await engine.delete(name);
    await catalog.delete(name);
    this.fitted.delete(name);
    this.refitTriedAt.delete(name);
    this.refitFailureLogged.delete(name);
    this.refusedVersions = this.refusedVersions.filter((refused) => refused.name !== name);
    this.options.metrics.forgetDetector(name);
  }

  /** Every catalogued detector, for the info metric. */
  detectorInfos(): DetectorInfo[] {
    return this.options.catalog.names().map((name) => {
      const view = this.view(name);
      return {
        detector: name,
        kind: view.kind,
        version: view.version,
        state: view.state,
        attached: view.attached,
        labels: view.labels,
      };
    });
  }

  /**
   * Stored DriftEvents, newest first, of the detectors that exist now: a detector's events
   * are listed from its creation on, so a deleted detector's events (the log keeps their
   * lines) never show under a re-created detector of the same name.
   */
  listDriftEvents(query: DriftEventQuery): Promise<DriftEventPage> {
    const { catalog } = this.options;
    return this.options.log.list({
      ...query,
      listedSince: (detector) => (catalog.has(detector) ? catalog.get(detector).createTimeMs : undefined),
    });
  }

  /** Resolves once every closed window so far is stored and exported. */
  async settled(): Promise<void> {
    while (this.storing.size > 0) await Promise.all([...this.storing]);
  }

  /**
   * A replica's share of an aligned live window (this service merges, --replicas N).
   * `share` reads the request, only once this service is known to merge.
   * @throws FailedPreconditionError when it does not; InvalidArgumentError for an unreadable summary.
   */
  mergeWindowShare(share: () => WindowShare): ShareOutcome {
    return this.options.engine.mergeWindowShare(share);
  }

  /** Live events from any transport, already deduplicated and queued. */
  ingest(events: readonly InferenceEvent[]): void {
    this.options.engine.offer(events);
  }

  windowClosed(result: LiveWindowResult): void {
    const online = result.verdict.online;
    if (online) {
      // Online detectors keep detecting after a detection (no automatic reset): the metrics
      // follow every row, and a DriftEvent marks each detection episode's first row (an
      // episode lasts while consecutive rows are over the threshold).
      let begun = false;
      let inEpisode = this.onlineEpisodes.get(result.detector) ?? false;
      for (const row of online.rows) {
        if (row.isDrift && !inEpisode) begun = true;
        inEpisode = row.isDrift;
      }
      this.onlineEpisodes.set(result.detector, inEpisode);
      this.options.metrics.onlineRows(result.detector, online, result.verdict.threshold, begun);
      if (!begun) return;
    }
    const record: DriftEventRecord = {
      eventId: randomUUID(),
      detector: result.detector,
      detectorVersion: result.detectorVersion,
      origin: 'live',
      modelName: result.modelName,
      modelVersion: result.modelVersion,
      windowStartUnixMs: result.windowStartUnixMs,
      windowEndUnixMs: result.windowEndUnixMs,
      events: result.events,
      rows: result.rows,
      requestIds: result.requestIds.slice(0, this.options.limits.maxRequestIdsPerEvent),
      requestIdCount: result.requestIdCount,
      closedBy: result.closedBy,
      timeUnixMs: this.now(),
      verdict: result.verdict,
      ...(result.shares
        ? { sharesMerged: result.shares.merged, sharesExpected: result.shares.expected }
        : {}),
    };
    const span = this.options.tracer.startSpan('drift.window', {
      attributes: {
        'sightline.detector': result.detector,
        'sightline.drift.rows': result.rows,
        'sightline.drift.closed_by': result.closedBy,
        'sightline.drift.is_drift': result.verdict.isDrift,
      },
    });
    const stored = this.store(record, result.closedAtMs).then(
      () => span.end(),
      (error: unknown) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
        span.end();
        this.options.onError(`drift event of detector "${result.detector}" not stored`, error);
      },
    );
    this.storing.add(stored);
    stored.finally(() => this.storing.delete(stored));
  }

  unreadable(detector: string, reason: string, count: number): void {
    this.options.metrics.unreadableEvents(detector, reason, count);
  }

  windowDropped(detector: string, reason: string): void {
    this.options.metrics.windowDropped(detector, reason);
  }

  /** Stores a DriftEvent, exports it and hands it to the sink. */
  private async store(full: DriftEventRecord, closedAtMs = full.timeUnixMs): Promise<void> {
    // An online verdict's per-row results stay with the call that asked (a history window
    // holds thousands of rows); the stored event keeps where the stream stood.
    const online = full.verdict.online;
    const record = online ? { ...full, verdict: { ...full.verdict, online: { ...online, rows: [] } } } : full;
    await this.options.log.append(record);
    if (record.origin === 'live') this.options.metrics.windowExported(record, closedAtMs, this.now());
    this.options.sink?.send(record);
  }

  private view(name: string): DetectorView {
    const record = this.options.catalog.get(name);
    const fitted = this.fitted.get(name);
    const spec = record.spec;
    return {
      name,
      kind: spec.kind,
      params: fitted?.lineage.params ?? spec.params,
      ...(spec.effectSizeAlert ? { effectSizeAlert: spec.effectSizeAlert } : {}),
      state: fitted ? 'fitted' : 'created',
      schemaVersion: DETECTOR_SCHEMA_VERSION,
      inputs: fitted ? (record.inputs ?? []) : [],
      featureCount: fitted?.featureCount ?? 0,
      referenceRows: fitted?.lineage.referenceRows ?? 0,
      ...(record.attachment
        ? { live: record.attachment.selection, liveWindow: record.attachment.window }
        : {
            ...(spec.live ? { live: spec.live } : {}),
            ...(spec.liveWindow ? { liveWindow: this.resolveWindow(spec.liveWindow, 'live_window') } : {}),
          }),
      labels: spec.labels,
      createTimeMs: record.createTimeMs,
      ...(fitted ? { fitTimeMs: fitted.lineage.createTimeMs, lineage: fitted.lineage } : {}),
      producerVersion: fitted?.lineage.sightlineVersion ?? this.options.sightlineVersion,
      version: fitted?.version ?? 0,
      categoricalFeatures: spec.categoricalFeatures,
      attached: record.attachment !== undefined,
      ...(spec.trailingReference ? { trailingReference: spec.trailingReference } : {}),
      ...(isOnlineKind(spec.kind) ? { time: this.options.engine.onlineTime(name) ?? 0 } : {}),
    };
  }

  private requireFitted(name: string): FittedInfo {
    this.options.catalog.get(name);
    const fitted = this.fitted.get(name);
    if (fitted) return fitted;
    const refused = this.refusedVersions.find((r) => r.name === name);
    if (refused) {
      throw new FailedPreconditionError(
        `detector ${quoteName(name)}: its saved fit was refused at start (${refused.reason}); call Fit again`,
      );
    }
    throw new FailedPreconditionError(`detector ${quoteName(name)}: not fitted, call Fit first`);
  }

  private async requireReader(): Promise<EventReader> {
    const reader = this.options.reader();
    if (!reader)
      throw new FailedPreconditionError(`no event store is configured: set ${this.options.readerSetting}`);
    await this.options.checkReader?.();
    return reader;
  }

  private checkRange(lengthMs: number, field: string): void {
    if (lengthMs > this.options.limits.maxHistoryRangeMs) {
      throw new InvalidArgumentError(
        `${field}: ${Math.ceil(lengthMs / 1000)} s long; at most ${this.options.limits.maxHistoryRangeMs / 1000} s (--max-history-range-ms)`,
      );
    }
  }

  /** MMD and LSDD: a full window plus the reference must fit the kernels' pooled-row limit. */
  private checkKernelRows(kind: string, fitted: FittedInfo, window: WindowSettings, field: string): void {
    if (kind !== 'mmd' && kind !== 'lsdd') return;
    const reference = fitted.lineage.referenceRows;
    // A window past exactRows is tested on its reservoir sample, not on all its rows.
    const tested =
      window.exactRows !== undefined && window.exactRows < window.maxRows
        ? Math.min(window.maxRows, Math.max(window.exactRows, DEFAULT_WINDOW_SAMPLE_ROWS))
        : window.maxRows;
    if (reference + tested > KERNEL_MAX_POOLED_ROWS) {
      throw new InvalidArgumentError(
        `${field}.max_rows: ${window.maxRows}; with the ${reference} reference rows of this ${kind} detector, at most ${Math.max(0, KERNEL_MAX_POOLED_ROWS - reference)} (the ${kind} test takes at most ${KERNEL_MAX_POOLED_ROWS} rows, reference and window together)`,
      );
    }
  }

  /**
   * The bootstrap simulations of an online detector (set or its kind's default) within
   * --max-online-bootstraps: they run on the event loop, so their number bounds the stall.
   */
  private checkOnlineBootstraps(spec: DetectorSpec): void {
    if (!isOnlineKind(spec.kind)) return;
    const set = spec.params.nBootstraps;
    const bootstraps = typeof set === 'number' ? set : DEFAULT_ONLINE_BOOTSTRAPS[spec.kind];
    const max = this.options.limits.maxOnlineBootstraps ?? DEFAULT_MAX_ONLINE_BOOTSTRAPS;
    if (bootstraps > max) {
      const field = spec.kind === 'online-mmd' ? 'mmd_online' : 'cvm_online';
      throw new InvalidArgumentError(
        `config.${field}.n_bootstraps: ${bootstraps}; at most ${max} (--max-online-bootstraps: the bootstrap runs on the service's event loop)`,
      );
    }
  }

  /** Window settings with defaults, checked against the limits. */
  private resolveWindow(window: Partial<WindowSettings>, field: string): WindowSettings {
    const maxRows = window.maxRows ?? DEFAULT_WINDOW.maxRows;
    if (maxRows > this.options.limits.maxWindowRows) {
      throw new InvalidArgumentError(
        `${field}.max_rows: ${maxRows}; at most ${this.options.limits.maxWindowRows} (--max-window-rows)`,
      );
    }
    const slideRows = window.slideRows ?? Math.max(1, Math.floor(maxRows / 2));
    if (slideRows > maxRows)
      throw new InvalidArgumentError(
        `${field}.slide_rows: ${slideRows}; must be at most max_rows (${maxRows})`,
      );
    const minRows = Math.min(window.minRows ?? DEFAULT_WINDOW.minRows, maxRows);
    const maxExact = this.options.limits.maxExactWindowRows ?? DEFAULT_WINDOW_EXACT_ROWS;
    const exactRows = window.exactRows ?? maxExact;
    if (exactRows > maxExact) {
      throw new InvalidArgumentError(
        `${field}.exact_rows: ${exactRows}; at most ${maxExact} (--max-exact-window-rows)`,
      );
    }
    if (exactRows < minRows) {
      throw new InvalidArgumentError(
        `${field}.exact_rows: ${exactRows}; must be at least min_rows (${minRows})`,
      );
    }
    return {
      maxRows,
      maxDurationMs: window.maxDurationMs ?? DEFAULT_WINDOW.maxDurationMs,
      // A window's minimum can be no more than its size.
      minRows,
      mode: window.mode ?? DEFAULT_WINDOW.mode,
      slideRows,
      exactRows,
      ...(window.aligned ? { aligned: true } : {}),
    };
  }

  private async inSpan<T>(
    name: string,
    attributes: Record<string, string>,
    work: (span: Span) => Promise<T>,
  ): Promise<T> {
    return this.options.tracer.startActiveSpan(name, { attributes }, async (span) => {
      try {
        return await work(span);
      } catch (error) {
        span.setStatus({
          code: SpanStatusCode.ERROR,
          message: error instanceof Error ? error.message : String(error),
        });
        throw error;
      } finally {
        span.end();
      }
    });
  }
}

/** The creator a scheduled refit records in its version's lineage. */
export const TRAILING_REFIT_CREATOR = 'sightline-drift (trailing reference)';

/** The `reason` label of a failed trailing refit. */
function refitFailureReason(error: unknown): string {
  if (error instanceof TableInputError && error.problem === 'empty') return 'no_events';
  if (error instanceof InvalidArgumentError && /rows/.test(error.message)) return 'too_few_rows';
  if (isSightlineError(error) && (error.code === 'UNAVAILABLE' || error.code === 'FAILED_PRECONDITION'))
    return 'unavailable';
  return 'error';
}

/** libs/stats' and libs/detect's option names of the online kinds, and the contract's. */
const ONLINE_CONTRACT_NAMES: Readonly<Record<string, string>> = {
  nBootstraps: 'n_bootstraps',
  windowSizes: 'window_sizes',
  windowSize: 'window_size',
};

/**
 * An online kind's refusal in the contract's terms: libs/stats and libs/detect name their
 * options (`nBootstraps`, `parameter "windowSizes"`), which a gRPC caller never wrote; the
 * service names the field it did (`config.cvm_online.n_bootstraps`). Other errors pass as they are.
 */
export function inContractTerms(kind: string, error: unknown): unknown {
  if (!isOnlineKind(kind) || !(error instanceof InvalidArgumentError)) return error;
  const config = `config.${kind === 'online-mmd' ? 'mmd_online' : 'cvm_online'}`;
  let message = error.message.replace(/^kind "online-(mmd|cvm)": parameter "(\w+)"/, '$2:');
  let field: string | undefined;
  for (const [name, contract] of Object.entries(ONLINE_CONTRACT_NAMES)) {
    const pattern = new RegExp(`\\b${name}\\b`, 'g');
    if (!pattern.test(message)) continue;
    field ??= `${config}.${contract}`;
    message = message.replace(pattern, `${config}.${contract}`);
  }
  if (message === error.message) return error;
  return new InvalidArgumentError(message, { cause: error, ...(field ? { field } : {}) });
}

/** The bound of a long configuration: the call's deadline and cancellation. */
function budgetOf(call: Cancellation & { readonly deadlineMs?: number | undefined }): OnlineBudget {
  return { cancellation: call, ...(call.deadlineMs !== undefined ? { deadlineMs: call.deadlineMs } : {}) };
}

/**
 * A selector's column names, when it names any, must be the fitted features, each once (in
 * any order): otherwise every event would be unreadable.
 */
export function checkColumnNames(selection: EventSelection, fitted: FittedInfo): void {
  const names = selection.columnNames;
  if (names.length === 0) return;
  const features = fitted.lineage.featureNames;
  if (names.length !== features.length) {
    throw new InvalidArgumentError(
      `selector.column_names: ${names.length} names; the detector was fitted on ${features.length} features (rule "selector.column_names_count")`,
    );
  }
  const known = new Set(features);
  const seen = new Set<string>();
  for (const name of names) {
    if (!known.has(name)) {
      throw new InvalidArgumentError(
        `selector.column_names: ${quoteName(name)} is not a fitted feature; the features are ${features
          .slice(0, 8)
          .map((n) => quoteName(n))
          .join(', ')}${features.length > 8 ? ` and ${features.length - 8} more` : ''}`,
      );
    }
    if (seen.has(name))
      throw new InvalidArgumentError(`selector.column_names: ${quoteName(name)} is named twice`);
    seen.add(name);
  }
}
