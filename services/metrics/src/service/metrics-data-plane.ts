/**
 * The metrics service's domain: predictions in (inference events), feedback in (SendFeedback),
 * joined in the store, counted in the windows, persisted by the flush loop, expired and retired
 * by their loops, and told to observers and the event sink. No transport types: the gRPC and
 * HTTP adapters convert into these calls.
 *
 * Order of effects per write: the store commits first (a reply or a 2xx means durable), then the
 * windows count, then events and observers hear of it. A crash between the commit and the
 * window's flush loses no data: the pairs are in the store, and the buckets of the last flush
 * interval are recomputed from them at the next start (see `start`).
 */
import { FailedPreconditionError, NotFoundError, quoteName, ResourceExhaustedError } from '@sightline/errors';
import type { InferenceEvent } from '@sightline/events';
import type { JoinedPair, PredictionRecord, SeriesKey } from '../domain/records.js';
import { DirectLossModels } from '../estimates/direct-loss-models.js';
import type { DirectLossOptions } from '../estimates/direct-loss-options.js';
import { type PredictionMappingOptions, predictionFromEvent } from '../ingest/prediction-from-event.js';
import { GroupCommitWriter } from '../store/group-commit-writer.js';
import type { FeedbackStatus, MetricsStore, ReplacedPair } from '../store/metrics-store.js';
import { resolveStoreLimits, type StoreLimits } from '../store/store-limits.js';
import type { ConceptDriftMonitorJson } from '../windows/concept-drift-monitor.js';
import type { CountWindowMetrics } from '../windows/count-window.js';
import type { MetricWindows } from '../windows/metric-windows.js';
import { encodeSeriesKey } from '../windows/window-key.js';
import { BucketPersistence, type PersistenceObserver } from './bucket-persistence.js';
import type {
  CorrectnessRecord,
  DataPlaneCounters,
  DataPlaneObserver,
  MetricsEventSink,
} from './data-plane-hooks.js';
import {
  DEFAULT_FEEDBACK_FORM_LIMITS,
  expandFeedback,
  type FeedbackFormLimits,
  type FeedbackItemInput,
} from './feedback-form.js';

/** The document collection the service keeps its own state in. */
export const SERVICE_COLLECTION = 'metrics-service';
const CONCEPT_DRIFT_DOCUMENT = 'concept-drift';
const SERIES_DOCUMENT = 'series';

/** The data plane's limits and times; every one a flag of `serve metrics`. */
export interface DataPlaneLimits extends FeedbackFormLimits {
  /** Feedback rows held for predictions not seen yet before a call that would add more is refused. */
  readonly maxPendingFeedback: number;
  /** How long unjoined feedback is held before it expires, ms. */
  readonly pendingFeedbackTtlMs: number;
  /** How long predictions, pairs, feedback and buckets are kept, ms. */
  readonly retentionMs: number;
  /** Closed count windows kept per series. */
  readonly countWindowsKept: number;
}

export const DEFAULT_DATA_PLANE_LIMITS: DataPlaneLimits = Object.freeze({
  ...DEFAULT_FEEDBACK_FORM_LIMITS,
  maxPendingFeedback: 1_000_000,
  pendingFeedbackTtlMs: 24 * 3_600_000,
  retentionMs: 30 * 86_400_000,
  countWindowsKept: 100,
});

/** What happened to one feedback row. */
export interface FeedbackRowOutcome {
  readonly item: number;
  readonly row: number;
  readonly status: FeedbackStatus;
  readonly reason: string;
  readonly pairs: number;
}

/** SendFeedback's result. */
export interface SendFeedbackResult {
  readonly outcomes: readonly FeedbackRowOutcome[];
  readonly joined: number;
  readonly pending: number;
  readonly unchanged: number;
  readonly replaced: number;
  readonly rejected: number;
  readonly pairs: number;
}

export interface MetricsDataPlaneOptions {
  readonly store: MetricsStore;
  readonly windows: MetricWindows;
  readonly mapping?: PredictionMappingOptions;
  readonly limits?: Partial<DataPlaneLimits>;
  /** The limits the store was opened with (the writer's commit size). */
  readonly storeLimits?: Partial<StoreLimits>;
  readonly sink?: MetricsEventSink;
  readonly counters?: Partial<DataPlaneCounters>;
  readonly persistence?: PersistenceObserver;
  readonly observers?: readonly DataPlaneObserver[];
  /** Direct loss estimation's reference (defaults: `resolveDirectLossOptions`). */
  readonly directLoss?: Partial<DirectLossOptions>;
  readonly now?: () => number;
  readonly onError?: (message: string, error: unknown) => void;
}

const NO_PERSISTENCE_OBSERVER: PersistenceObserver = {
  flushed: () => {},
  flushFailed: () => {},
  dropped: () => {},
};

/** One entry of the series document. */
interface SeriesEntry {
  readonly windowKey: string;
  readonly task: 'classification' | 'regression';
  readonly classes: readonly string[];
}

/** The data plane; see the module comment. */
export class MetricsDataPlane {
  readonly limits: DataPlaneLimits;
  readonly windows: MetricWindows;
  readonly store: MetricsStore;
  readonly persistence: BucketPersistence;
  /** The regression series' loss models (direct loss estimation), fitted from the store on first use. */
  readonly directLoss: DirectLossModels;
  readonly #writer: GroupCommitWriter;
  readonly #options: MetricsDataPlaneOptions;
  readonly #now: () => number;
  readonly #countWindows = new Map<string, CountWindowMetrics[]>();
  /** Model names with a stored prediction (known to queries). */
  readonly #models = new Set<string>();
  readonly #series = new Map<string, { task: 'classification' | 'regression'; classes: readonly string[] }>();
  #seriesChanged = false;
  #driftChanged = false;

  constructor(options: MetricsDataPlaneOptions) {
    this.#options = options;
    this.store = options.store;
    this.windows = options.windows;
    this.limits = { ...DEFAULT_DATA_PLANE_LIMITS, ...options.limits };
    this.#now = options.now ?? Date.now;
    this.directLoss = new DirectLossModels(options.store, options.directLoss, {
      now: this.#now,
      ...(options.onError !== undefined && { onError: options.onError }),
    });
    const storeLimits = resolveStoreLimits(options.storeLimits ?? {});
    this.#writer = new GroupCommitWriter(options.store, storeLimits);
    const observer = options.persistence ?? NO_PERSISTENCE_OBSERVER;
    this.persistence = new BucketPersistence(options.store, options.windows, {
      flushed: (n) => observer.flushed(n),
      flushFailed: (error) => observer.flushFailed(error),
      dropped: (n) => observer.dropped(n),
      written: (keys) => {
        for (const key of keys) {
          if (this.#series.has(key.windowKey)) continue;
          this.#series.set(key.windowKey, { task: key.task, classes: key.classes });
          this.#seriesChanged = true;
        }
      },
    });
  }

  /**
   * Restores what the windows keep in memory: the series and segment values (from the series
   * document), the concept-drift detectors (from theirs), and the buckets of predictions whose
   * pairs were stored after the last flush (recounted from the store's pairs is not needed: the
   * flush loop writes every delta before the process ends cleanly; after a kill -9 the last flush
   * interval's window counts are lost, the pairs are not: see docs/service.md).
   */
  async start(): Promise<void> {
    await this.#learnSeries(await this.#storedSeries());
    const drift = await this.store.getDocument(SERVICE_COLLECTION, CONCEPT_DRIFT_DOCUMENT);
    if (drift !== undefined) this.windows.restoreConceptDrift(JSON.parse(drift) as ConceptDriftMonitorJson[]);
  }

  /** Models (or graphs) with a stored prediction. */
  knownModels(): string[] {
    return [...this.#models].sort();
  }

  /** Feedback rows waiting for their prediction now, by the model they name ('' for none). */
  async pendingByModel(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    let named = 0;
    for (const modelName of this.knownModels()) {
      const pending = (await this.store.counts({ modelName, fromMs: 0, toMs: 1 })).pending;
      out[modelName] = pending;
      named += pending;
    }
    out[''] = Math.max(0, (await this.store.pendingCount()) - named);
    return out;
  }

  /** Whether a model (or graph) has a stored prediction. */
  knowsModel(modelName: string): boolean {
    return this.#models.has(modelName);
  }

  /** Every unsegmented series known. */
  matchingSeriesOfAll(): { series: SeriesKey }[] {
    return [...this.#series.keys()]
      .map((key) => JSON.parse(key) as string[])
      .filter((parts) => parts.length === 3)
      .map(([modelName, modelVersion, node]) => ({
        series: { modelName: modelName!, modelVersion: modelVersion!, node: node! },
      }));
  }

  /**
   * The series a selector matches (a version or node left undefined matches every one), with
   * their task and classes, in key order.
   */
  matchingSeries(selector: {
    readonly modelName: string;
    readonly modelVersion?: string;
    readonly node?: string;
  }): { series: SeriesKey; task: 'classification' | 'regression'; classes: readonly string[] }[] {
    const out: { series: SeriesKey; task: 'classification' | 'regression'; classes: readonly string[] }[] =
      [];
    for (const [key, info] of [...this.#series].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const parts = JSON.parse(key) as string[];
      if (parts.length !== 3) continue;
      const [modelName, modelVersion, node] = parts as [string, string, string];
      if (modelName !== selector.modelName) continue;
      if (selector.modelVersion !== undefined && modelVersion !== selector.modelVersion) continue;
      if (selector.node !== undefined && node !== selector.node) continue;
      out.push({ series: { modelName, modelVersion, node }, ...info });
    }
    return out;
  }

  /** The last closed count windows of a series, oldest first. */
  countWindows(series: SeriesKey): readonly CountWindowMetrics[] {
    return this.#countWindows.get(encodeSeriesKey(series)) ?? [];
  }

  /**
   * Stores the predictions of a batch of events (redelivered events change nothing), counts
   * them, and joins feedback that arrived first. Resolves once they are durable.
   */
  async ingest(events: readonly InferenceEvent[]): Promise<void> {
    const counters = this.#options.counters;
    const read: { record: PredictionRecord; event: InferenceEvent }[] = [];
    for (const event of events) {
      const reading = predictionFromEvent(event, this.#options.mapping);
      if ('skipped' in reading) counters?.eventSkipped?.(reading.skipped);
      else read.push({ record: reading.record, event });
    }
    if (read.length === 0) return;
    const now = this.#now();
    const result = await this.#writer.recordPredictions(
      read.map((r) => r.record),
      now,
    );
    const stored: typeof read = [];
    result.statuses.forEach((status, i) => {
      if (status !== 'recorded') return;
      const entry = read[i]!;
      try {
        this.windows.addPrediction(entry.record);
        this.#models.add(entry.record.modelName);
        const key = encodeSeriesKey(entry.record);
        if (!this.#series.has(key)) {
          this.#series.set(key, { task: entry.record.task, classes: [...entry.record.classes] });
          this.#seriesChanged = true;
        }
        stored.push(entry);
      } catch (error) {
        counters?.eventSkipped?.('windows_refused');
        this.#options.onError?.(
          `prediction of request ${JSON.stringify(entry.record.requestId)} not counted`,
          error,
        );
      }
    });
    for (const rejection of result.rejected) {
      counters?.eventSkipped?.('store_rejected');
      this.#options.onError?.(`prediction refused by the store: ${rejection.message}`, undefined);
    }
    counters?.predictionsRecorded?.(
      stored.map((s) => s.record),
      result.duplicates,
    );
    this.#joined(result.pairs.map((pair) => ({ pair, replaced: false })));
    for (const observer of this.#options.observers ?? []) {
      this.#tell(() => observer.predictionsStored?.(stored));
    }
  }

  /**
   * SendFeedback: checks the form of every item (nothing stored on a failure), holds the pending
   * bound, stores and joins each row, counts the pairs made and replaced.
   * @throws InvalidArgumentError naming `items[i].<field>`; ResourceExhaustedError naming
   *   --max-feedback-per-call or --max-pending-feedback.
   */
  async sendFeedback(items: readonly FeedbackItemInput[]): Promise<SendFeedbackResult> {
    const now = this.#now();
    const rows = expandFeedback(items, now, this.limits);
    const pending = await this.store.pendingCount();
    if (pending + rows.length > this.limits.maxPendingFeedback) {
      throw new ResourceExhaustedError(
        `feedback held for predictions not seen yet is at ${pending} rows and this call could add ${rows.length}, over --max-pending-feedback (${this.limits.maxPendingFeedback}); retry once held feedback joins or expires (--pending-feedback-ttl)`,
      );
    }
    const result = await this.#writer.recordFeedback(
      rows.map((r) => r.record),
      now,
    );
    const reasons = new Map(result.rejected.map((r) => [r.index, r]));
    const outcomes: FeedbackRowOutcome[] = [];
    const totals = { joined: 0, pending: 0, outranked: 0, unchanged: 0, replaced: 0, rejected: 0, pairs: 0 };
    const correctness: CorrectnessRecord[] = [];
    const replacements: ReplacedPair[] = [];
    result.outcomes.forEach((outcome, k) => {
      const row = rows[k]!;
      const rejection = reasons.get(k);
      const pairs = outcome.pairs.length + outcome.replaced.length;
      outcomes.push({
        item: row.item,
        row: row.record.row,
        status: outcome.status,
        reason: rejection === undefined ? '' : `items[${row.item}].${rejection.message}`,
        pairs,
      });
      totals[outcome.status] += 1;
      totals.pairs += pairs;
      for (const pair of outcome.pairs) correctness.push({ pair, replaced: false });
      replacements.push(...outcome.replaced);
    });
    this.#options.counters?.feedbackRows?.('all', rows.length);
    for (const [status, count] of Object.entries(totals)) {
      if (status !== 'pairs' && count > 0) this.#options.counters?.feedbackRows?.(status, count);
    }
    this.#joined(correctness);
    await this.#replace(replacements);
    const stored = rows.filter((_, k) => !reasons.has(k)).map((r) => r.record);
    const allPairs = [...correctness.map((c) => c.pair), ...replacements.map((r) => r.after)];
    for (const observer of this.#options.observers ?? []) {
      this.#tell(() => observer.feedbackStored?.(stored, allPairs));
    }
    return { outcomes, ...totals };
  }

  /** Counts new pairs in the windows (with their concept drift and count windows) and emits them. */
  #joined(records: readonly CorrectnessRecord[]): void {
    if (records.length === 0) return;
    const counters = this.#options.counters;
    const counted: CorrectnessRecord[] = [];
    for (const record of records) {
      try {
        const outcome = this.windows.addPair(record.pair);
        counted.push(record);
        this.#driftChanged = true;
        for (const change of outcome.conceptDrift) {
          counters?.conceptDrift?.(change);
          this.#options.sink?.conceptDrift(change);
        }
        if (outcome.conceptDrift.length > 0) {
          for (const observer of this.#options.observers ?? []) {
            this.#tell(() => observer.conceptDriftChanged?.(outcome.conceptDrift));
          }
        }
        if (outcome.countWindow !== undefined) {
          const key = encodeSeriesKey(outcome.countWindow.series);
          const kept = this.#countWindows.get(key) ?? [];
          kept.push(outcome.countWindow);
          if (kept.length > this.limits.countWindowsKept)
            kept.splice(0, kept.length - this.limits.countWindowsKept);
          this.#countWindows.set(key, kept);
        }
      } catch (error) {
        this.#options.onError?.(
          `pair of request ${JSON.stringify(record.pair.requestId)} not counted in the windows`,
          error,
        );
      }
    }
    counters?.pairsJoined?.(counted.map((c) => c.pair));
    this.#emit(counted);
  }

  /** Recomputes the buckets of replaced pairs from the store's pairs of their range, and emits them. */
  async #replace(replacements: readonly ReplacedPair[]): Promise<void> {
    for (const { before, after } of replacements) {
      try {
        const width = this.windows.replacementWidthMs;
        const fromMs = Math.floor(after.predictionMs / width) * width;
        const rangePairs: JoinedPair[] = [];
        let cursor: string | undefined;
        do {
          const page = await this.store.joinedPairs({
            modelName: after.series.modelName,
            modelVersion: after.series.modelVersion,
            node: after.series.node,
            fromMs,
            toMs: fromMs + width,
            ...(cursor === undefined ? {} : { cursor }),
          });
          rangePairs.push(...page.pairs);
          cursor = page.next;
        } while (cursor !== undefined);
        this.windows.replacePair(before, after, rangePairs);
      } catch (error) {
        this.#options.onError?.(
          `replaced pair of request ${JSON.stringify(after.requestId)} not recounted`,
          error,
        );
      }
    }
    this.#emit(replacements.map((r) => ({ pair: r.after, replaced: true })));
  }

  /** One CorrectnessEvent per request and series. */
  #emit(records: readonly CorrectnessRecord[]): void {
    const sink = this.#options.sink;
    if (sink === undefined || records.length === 0) return;
    const groups = new Map<string, CorrectnessRecord[]>();
    for (const record of records) {
      const key = `${record.pair.eventId}\u0000${encodeSeriesKey(record.pair.series)}`;
      const group = groups.get(key);
      if (group === undefined) groups.set(key, [record]);
      else group.push(record);
    }
    for (const group of groups.values()) sink.correctness(group, '');
  }

  #tell(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#options.onError?.('an observer failed', error);
    }
  }

  /** Writes the windows' changes (and the series and concept-drift documents) to the store. */
  async flush(): Promise<void> {
    await this.persistence.flush().catch((error: unknown) => {
      this.#options.onError?.('window buckets not written (kept, retried at the next flush)', error);
    });
    await this.#syncSeries();
    if (this.#driftChanged) {
      this.#driftChanged = false;
      await this.store.putDocument(
        SERVICE_COLLECTION,
        CONCEPT_DRIFT_DOCUMENT,
        JSON.stringify(this.windows.conceptDriftState()),
      );
    }
  }

  /** The series document: every series any replica sharing the store has written. */
  async #storedSeries(): Promise<SeriesEntry[]> {
    const text = await this.store.getDocument(SERVICE_COLLECTION, SERIES_DOCUMENT);
    return text === undefined ? [] : (JSON.parse(text) as SeriesEntry[]);
  }

  /** Registers series (and their models) known from the store, for queries and the windows. */
  async #learnSeries(entries: readonly SeriesEntry[]): Promise<void> {
    const fresh = entries.filter((e) => !this.#series.has(e.windowKey));
    if (fresh.length === 0) return;
    const { BucketSummary } = await import('../windows/bucket-summary.js');
    this.windows.prime(
      fresh.map((e) => ({
        seriesKey: e.windowKey,
        bucketStartMs: 0,
        summary: BucketSummary.empty(e.task, e.classes, this.windows.options.summary),
      })),
    );
    for (const e of fresh) {
      this.#series.set(e.windowKey, { task: e.task, classes: e.classes });
      this.#models.add((JSON.parse(e.windowKey) as string[])[0]!);
    }
  }

  /**
   * Reads the series document, learns the series other replicas (one PostgreSQL store, several
   * processes) wrote, and writes the union back when it lacks one of ours: each replica used to
   * write only its own series over the others', so a replica that never took a model's events
   * answered NOT_FOUND for it, and a restart forgot the other replicas' series. Two replicas
   * writing at once can drop each other's additions; the next flush finds them missing and
   * writes them again.
   */
  async #syncSeries(): Promise<void> {
    const stored = await this.#storedSeries();
    const storedKeys = new Set(stored.map((e) => e.windowKey));
    try {
      await this.#learnSeries(stored);
    } catch (error) {
      // Past --max-series: the series is not queryable here; writing ours goes on.
      this.#options.onError?.('series stored by another replica not learned', error);
    }
    const missing = [...this.#series.keys()].some((key) => !storedKeys.has(key));
    if (!missing && !this.#seriesChanged) return;
    this.#seriesChanged = false;
    const union = new Map(stored.map((e) => [e.windowKey, e] as const));
    for (const [windowKey, s] of this.#series)
      union.set(windowKey, { windowKey, task: s.task, classes: [...s.classes] });
    try {
      await this.store.putDocument(SERVICE_COLLECTION, SERIES_DOCUMENT, JSON.stringify([...union.values()]));
    } catch (error) {
      this.#seriesChanged = true;
      throw error;
    }
  }

  /** Expires feedback held longer than --pending-feedback-ttl; counted. */
  async expire(): Promise<number> {
    const result = await this.store.expirePending(this.#now(), this.limits.pendingFeedbackTtlMs);
    if (result.expired > 0) this.#options.counters?.expired?.(result.byModelName);
    return result.expired;
  }

  /** Removes what is older than --retention. */
  async retire(): Promise<void> {
    await this.store.deleteBefore(this.#now() - this.limits.retentionMs);
  }

  /** Resolves once every write begun so far is committed. */
  async settled(): Promise<void> {
    await this.#writer.settled();
  }

  /** A model's selector check for queries: NOT_FOUND unless it has a stored prediction. */
  requireModel(modelName: string): void {
    if (!this.knowsModel(modelName)) {
      throw new NotFoundError(`model ${quoteName(modelName)}: no prediction of it is stored`);
    }
  }

  /** The task and classes of a known window key; FAILED_PRECONDITION before any bucket. */
  seriesInfo(windowKey: string): { task: 'classification' | 'regression'; classes: readonly string[] } {
    const info = this.#series.get(windowKey);
    if (info === undefined) throw new FailedPreconditionError(`series ${windowKey}: no bucket is stored yet`);
    return info;
  }
}
