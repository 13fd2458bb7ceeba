/**
 * The seam between the windows and the store. The windows hand out bucket *deltas* keyed by
 * (window key, width, bucket start) — `takeDirty` — and the store keeps whole summaries by
 * (series key, bucket start): the store's series key here is `<width>|<window key>`, and each
 * delta is folded into the stored summary inside the store's transaction (`foldSummaries`,
 * `applyDirty`'s rule), so replicas folding into one bucket lose nothing.
 *
 * A flush that fails keeps its deltas and folds them, oldest first, before the next flush's;
 * meanwhile reads fold them into what they load, so a query never misses counts that are in
 * neither the store nor the windows. A read ({@link BucketPersistence.summaryOver}) and a flush
 * exclude each other: a flush moves deltas from the windows to the store over a round trip, and
 * a read between the two (PostgreSQL's fold is not instant) would miss them or count them twice;
 * reads wait for a flush under way, and a flush waits for the reads under way (new reads wait
 * behind it, so neither starves). The unflushed deltas are bounded
 * (`maxUnflushedBuckets`): past it the oldest are dropped and counted, never the process.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { SeriesKey } from '../domain/records.js';
import type { MetricsStore } from '../store/metrics-store.js';
import { BucketSummary } from '../windows/bucket-summary.js';
import {
  applyDirty,
  type DirtyBucket,
  type MetricWindows,
  type PersistedBucket,
} from '../windows/metric-windows.js';
import { encodeWindowKey, type SegmentRef } from '../windows/window-key.js';

/** The store's series key of a window key's buckets of one width. */
export function storeKeyOf(widthMs: number, windowKey: string): string {
  return `${widthMs}|${windowKey}`;
}

/** The width and window key of a store key; undefined for a key not written here. */
export function parseStoreKey(storeKey: string): { widthMs: number; windowKey: string } | undefined {
  const bar = storeKey.indexOf('|');
  const widthMs = Number(storeKey.slice(0, bar));
  if (bar <= 0 || !Number.isSafeInteger(widthMs) || widthMs <= 0) return undefined;
  return { widthMs, windowKey: storeKey.slice(bar + 1) };
}

/** Default most bucket deltas held after failed flushes. */
export const DEFAULT_MAX_UNFLUSHED_BUCKETS = 100_000;

/** Counts of what the persistence did, for metrics. */
export interface PersistenceObserver {
  flushed(buckets: number): void;
  /** The window keys written, with their task and classes (to remember the series across restarts). */
  written?(
    keys: readonly { windowKey: string; task: 'classification' | 'regression'; classes: readonly string[] }[],
  ): void;
  flushFailed(error: unknown): void;
  dropped(buckets: number): void;
}

/** Writes the windows' deltas and reads stored buckets with unflushed deltas folded in. */
export class BucketPersistence {
  /** Deltas whose write failed, oldest first. */
  #unflushed: DirtyBucket[] = [];
  #flushing: Promise<void> | undefined;
  /** Reads under way, and the flush waiting for them to end. */
  #readers = 0;
  #readersDone: (() => void)[] = [];

  constructor(
    private readonly store: MetricsStore,
    private readonly windows: MetricWindows,
    private readonly observer: PersistenceObserver,
    private readonly maxUnflushedBuckets = DEFAULT_MAX_UNFLUSHED_BUCKETS,
  ) {}

  /** Deltas waiting for a successful write. */
  get unflushed(): number {
    return this.#unflushed.length;
  }

  /** Takes the windows' dirty buckets and folds them (and any unflushed) into the store; one flush at a time. */
  flush(): Promise<void> {
    this.#flushing ??= this.#afterReads()
      .then(() => this.#flush())
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  /**
   * The windows' `summaryOver` of a series (and segment) over [fromMs, toMs), with the stored
   * buckets and unflushed deltas, read as one: no flush runs meanwhile.
   */
  async summaryOver(
    series: SeriesKey,
    segment: SegmentRef | undefined,
    fromMs: number,
    toMs: number,
  ): Promise<{ summary: BucketSummary; buckets: number }> {
    while (this.#flushing !== undefined) await this.#flushing.catch(() => {});
    this.#readers++;
    try {
      const persisted = await this.load(encodeWindowKey(series, segment), fromMs, toMs);
      return this.windows.summaryOver(series, segment, fromMs, toMs, persisted);
    } finally {
      this.#readers--;
      if (this.#readers === 0) for (const wake of this.#readersDone.splice(0)) wake();
    }
  }

  #afterReads(): Promise<void> {
    return this.#readers === 0
      ? Promise.resolve()
      : new Promise((resolve) => this.#readersDone.push(resolve));
  }

  async #flush(): Promise<void> {
    const batch = [...this.#unflushed, ...this.windows.takeDirty()];
    this.#unflushed = [];
    if (batch.length === 0) return;
    try {
      await this.store.foldSummaries(
        batch.map((dirty) => ({
          seriesKey: storeKeyOf(dirty.widthMs, dirty.seriesKey),
          bucketStartMs: dirty.bucketStartMs,
          fold: (stored) =>
            JSON.stringify(
              applyDirty(
                stored === undefined ? undefined : BucketSummary.fromJSON(JSON.parse(stored)),
                dirty,
              ).toJSON(),
            ),
        })),
      );
      this.observer.flushed(batch.length);
      this.observer.written?.(
        batch.map((d) => ({ windowKey: d.seriesKey, task: d.summary.task, classes: d.summary.classes })),
      );
    } catch (error) {
      // Put back in front of anything taken meanwhile, bounded.
      this.#unflushed = [...batch, ...this.#unflushed];
      const excess = this.#unflushed.length - this.maxUnflushedBuckets;
      if (excess > 0) {
        this.#unflushed.splice(0, excess);
        this.observer.dropped(excess);
      }
      this.observer.flushFailed(error);
      throw error;
    }
  }

  /**
   * The buckets a query over [fromMs, toMs) in steps of `stepMs` reads (the windows' read plan),
   * loaded from the store with the unflushed deltas of those buckets folded in: the `persisted`
   * argument of the windows' queries. Not guarded against a flush: use {@link summaryOver}.
   */
  async load(windowKey: string, fromMs: number, toMs: number, stepMs?: number): Promise<PersistedBucket[]> {
    const plan = this.windows.readPlan(fromMs, toMs, stepMs);
    const out: PersistedBucket[] = [];
    for (const part of plan) {
      const stored = await this.store.summaries(storeKeyOf(part.widthMs, windowKey), part.fromMs, part.toMs);
      const byStart = new Map<number, BucketSummary>();
      for (const [i, record] of stored.entries()) {
        try {
          byStart.set(record.bucketStartMs, BucketSummary.fromJSON(JSON.parse(record.summary)));
        } catch (error) {
          throw new InvalidArgumentError(`stored bucket ${i} of ${windowKey}: ${(error as Error).message}`);
        }
      }
      for (const dirty of this.#unflushed) {
        if (dirty.seriesKey !== windowKey || dirty.widthMs !== part.widthMs) continue;
        if (dirty.bucketStartMs < part.fromMs || dirty.bucketStartMs >= part.toMs) continue;
        byStart.set(dirty.bucketStartMs, applyDirty(byStart.get(dirty.bucketStartMs), dirty));
      }
      for (const [bucketStartMs, summary] of [...byStart].sort(([a], [b]) => a - b)) {
        out.push({ seriesKey: windowKey, widthMs: part.widthMs, bucketStartMs, summary });
      }
    }
    return out;
  }
}
