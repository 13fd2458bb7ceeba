/**
 * One model's queue in memory: its items, the capacity with lowest-priority eviction, item
 * expiry, leases and the rows waiting for an outlier score or a shadow's row. It records which
 * items changed (`dirty`, `deleted`) so the owner writes exactly those documents.
 */
import { FailedPreconditionError, InvalidArgumentError } from '@sightline/errors';
import type { SeriesKey } from '../domain/records.js';
import type { AnnotationOptions } from './annotation-options.js';
import type {
  AnnotationItemStateName,
  AnnotationItemView,
  ItemInput,
  ItemReason,
  PredictedRowView,
  QueueCounts,
  QueueSettings,
  QueueView,
} from './annotation-types.js';
import { BoundedPending } from './bounded-pending.js';
import { OpenIndex } from './open-index.js';

/** A row that may become an item; `inputs` is sliced only once the row is kept. */
export interface Candidate {
  readonly itemId: string;
  readonly series: SeriesKey;
  readonly requestId: string;
  readonly row: number;
  readonly predictionMs: number;
  readonly task: 'classification' | 'regression';
  readonly prediction: PredictedRowView;
  readonly inputs: () => { inputs: ItemInput[]; truncated: boolean };
}

/** A candidate waiting for its partner, its inputs already sliced (the request is gone by then). */
export interface WaitingCandidate extends Omit<Candidate, 'inputs'> {
  readonly inputs: ItemInput[];
  readonly truncated: boolean;
}

/** What a waiting row's partner brings: an outlier score or the shadow's row. */
export type Partner =
  | { readonly kind: 'score'; readonly score: number }
  | { readonly kind: 'shadow'; readonly row: PredictedRowView };

/** An item as the queue keeps it. */
export interface ItemRecord {
  readonly itemId: string;
  readonly series: SeriesKey;
  readonly requestId: string;
  readonly row: number;
  readonly predictionMs: number;
  readonly task: 'classification' | 'regression';
  readonly inputs: readonly ItemInput[];
  readonly inputsTruncated: boolean;
  readonly prediction: PredictedRowView;
  readonly shadowPrediction?: PredictedRowView;
  readonly reason: ItemReason;
  readonly createMs: number;
  state: AnnotationItemStateName;
  annotator: string;
  leaseExpireMs?: number;
  closeMs?: number;
}

/** The counts kept across restarts (open and leased are counted from the items). */
export type LastingCounts = Omit<QueueCounts, 'open' | 'leased'>;

/** The item id of a request's row: opaque to callers, unique in a queue. */
export function itemIdOf(requestId: string, row: number): string {
  return `${requestId}/${row}`;
}

/** The key waiting rows and partners meet under. */
export function rowKey(requestId: string, row: number): string {
  return `${requestId}\u0000${row}`;
}

export class AnnotationQueue {
  readonly items = new Map<string, ItemRecord>();
  /** The open items, for the capacity checks of every offer. */
  readonly #open = new OpenIndex<ItemRecord>();
  /** Items written or changed since the last flush, and items removed. */
  readonly dirty = new Set<string>();
  readonly deleted = new Set<string>();
  /** The queue's own document changed (settings or counts). */
  settingsDirty = false;
  /** When `sweep` last ran. */
  lastSweepMs = Number.NEGATIVE_INFINITY;
  /** Model rows waiting for an outlier score or the shadow's row. */
  readonly waitingRows: BoundedPending<WaitingCandidate>;
  /** Outlier scores or shadow rows waiting for the model's row. */
  readonly waitingPartners: BoundedPending<Partner>;

  constructor(
    public settings: QueueSettings,
    readonly createMs: number,
    public updateMs: number,
    readonly counts: LastingCounts,
    private readonly options: AnnotationOptions,
  ) {
    this.waitingRows = new BoundedPending(
      options.maxPendingPerQueue,
      options.maxPendingInputBytesPerQueue,
      options.pendingTtlMs,
    );
    this.waitingPartners = new BoundedPending(
      options.maxPendingPerQueue,
      Number.MAX_SAFE_INTEGER,
      options.pendingTtlMs,
    );
  }

  /** Whether the series is the SHADOW_DISAGREEMENT queue's shadow. */
  isShadow(series: SeriesKey): boolean {
    const shadow = this.settings.shadow;
    return shadow !== '' && (series.modelName === shadow || (series.node !== '' && series.node === shadow));
  }

  /** Whether the queue samples this series' predictions. */
  matches(series: SeriesKey): boolean {
    const s = this.settings;
    return (
      series.modelName === s.modelName &&
      (s.modelVersion === undefined || series.modelVersion === s.modelVersion) &&
      (s.node === undefined || series.node === s.node) &&
      !this.isShadow(series)
    );
  }

  /**
   * Offers a candidate: kept while open items are below capacity, else in place of the
   * lowest-priority open item when it scores higher (the dropped item is counted). A row that
   * is (or was) an item already is not offered again.
   */
  offer(candidate: Candidate | WaitingCandidate, reason: ItemReason, nowMs: number): boolean {
    if (this.items.has(candidate.itemId)) return false;
    if (this.openCount() >= this.settings.capacity) {
      const lowest = this.lowestOpen();
      if (!lowest || lowest.reason.score >= reason.score) return false;
      this.remove(lowest.itemId);
      this.counts.dropped++;
      this.settingsDirty = true;
    }
    const sliced =
      typeof candidate.inputs === 'function'
        ? candidate.inputs()
        : { inputs: candidate.inputs, truncated: (candidate as WaitingCandidate).truncated };
    const shadow = candidate as { shadowPrediction?: PredictedRowView };
    const item: ItemRecord = {
      itemId: candidate.itemId,
      series: candidate.series,
      requestId: candidate.requestId,
      row: candidate.row,
      predictionMs: candidate.predictionMs,
      task: candidate.task,
      inputs: sliced.inputs,
      inputsTruncated: sliced.truncated,
      prediction: candidate.prediction,
      ...(shadow.shadowPrediction ? { shadowPrediction: shadow.shadowPrediction } : {}),
      reason,
      createMs: nowMs,
      state: 'open',
      annotator: '',
    };
    this.items.set(item.itemId, item);
    this.#open.add(item);
    this.dirty.add(candidate.itemId);
    return true;
  }

  /** Removes an item from the queue (its document goes at the next flush). */
  remove(itemId: string): void {
    if (!this.items.delete(itemId)) return;
    this.#open.delete(itemId);
    this.dirty.delete(itemId);
    this.deleted.add(itemId);
  }

  /** Takes in an item read from the store. */
  adopt(item: ItemRecord): void {
    this.items.set(item.itemId, item);
    if (item.state === 'open') this.#open.add(item);
  }

  openCount(): number {
    return this.#open.size;
  }

  /** The open item labelled last (lowest score; of equals, the highest item id). */
  lowestOpen(): ItemRecord | undefined {
    return this.#open.lowest();
  }

  /** Drops open items past capacity, lowest priority first (after a smaller capacity). */
  trimToCapacity(): void {
    let over = this.openCount() - this.settings.capacity;
    while (over-- > 0) {
      const lowest = this.lowestOpen();
      if (!lowest) break;
      this.remove(lowest.itemId);
      this.counts.dropped++;
      this.settingsDirty = true;
    }
  }

  /**
   * Ends leases that ran out (the item is open again), expires open items older than the
   * item TTL and keeps at most the configured number of answered and skipped items.
   */
  sweep(nowMs: number): void {
    this.lastSweepMs = nowMs;
    const closed: ItemRecord[] = [];
    for (const item of [...this.items.values()]) {
      if (item.state === 'leased' && (item.leaseExpireMs ?? 0) <= nowMs) {
        item.state = 'open';
        item.annotator = '';
        delete item.leaseExpireMs;
        this.#open.add(item);
        this.dirty.add(item.itemId);
      }
      if (item.state === 'open' && nowMs - item.createMs >= this.settings.itemTtlMs) {
        this.remove(item.itemId);
        this.counts.expired++;
        this.settingsDirty = true;
      } else if (item.state === 'answered' || item.state === 'skipped') closed.push(item);
    }
    const excess = closed.length - this.options.maxClosedItemsPerQueue;
    if (excess > 0) {
      closed.sort((a, b) => (a.closeMs ?? 0) - (b.closeMs ?? 0));
      for (const item of closed.slice(0, excess)) this.remove(item.itemId);
    }
    this.waitingRows.expire(nowMs);
    this.waitingPartners.expire(nowMs);
  }

  /** The items in these states, highest priority first (UNIFORM: oldest first). */
  ordered(states: ReadonlySet<AnnotationItemStateName>): ItemRecord[] {
    const chosen = [...this.items.values()].filter((item) => states.has(item.state));
    return chosen.sort((a, b) => compareKeys(this.sortKey(a), this.sortKey(b)));
  }

  /** An item's place in the queue's order, ascending. */
  sortKey(item: ItemRecord): SortKey {
    return [this.settings.policy === 'uniform' ? item.predictionMs : -item.reason.score, item.itemId];
  }

  /** Leases the highest-priority open items to `annotator` until `untilMs`. */
  lease(annotator: string, maxItems: number, untilMs: number): ItemRecord[] {
    const leased = this.ordered(new Set(['open'])).slice(0, maxItems);
    for (const item of leased) {
      item.state = 'leased';
      this.#open.delete(item.itemId);
      item.annotator = annotator;
      item.leaseExpireMs = untilMs;
      this.dirty.add(item.itemId);
    }
    return leased;
  }

  /**
   * The item an answer may close: not leased to someone else whose lease is running.
   * Throws NOT_FOUND-free errors only; the owner reports unknown items.
   */
  checkAnswerable(item: ItemRecord, annotator: string, skip: boolean, nowMs: number): void {
    if (item.state === 'leased' && (item.leaseExpireMs ?? 0) > nowMs && item.annotator !== annotator)
      throw new FailedPreconditionError(
        `item_id: item "${item.itemId}" is leased to "${item.annotator}" until ${new Date(item.leaseExpireMs ?? 0).toISOString()}`,
      );
    if (skip && item.state === 'answered')
      throw new FailedPreconditionError(
        `skip: item "${item.itemId}" is answered already; send a new answer instead`,
      );
  }

  /** Closes an item as answered or skipped by `annotator`. */
  close(item: ItemRecord, state: 'answered' | 'skipped', annotator: string, nowMs: number): void {
    if (item.state !== state) {
      if (state === 'answered') this.counts.answered++;
      else this.counts.skipped++;
      this.settingsDirty = true;
    }
    item.state = state;
    this.#open.delete(item.itemId);
    item.annotator = annotator;
    delete item.leaseExpireMs;
    item.closeMs = nowMs;
    this.dirty.add(item.itemId);
  }

  /**
   * Feedback for a row arrived by another way: an open or leased item of it is removed
   * (counted) and a waiting row is given up. `modelName` '' judges every model's row.
   */
  labelledElsewhere(requestId: string, row: number, modelName: string, nowMs: number): boolean {
    this.waitingRows.take(rowKey(requestId, row), nowMs);
    const item = this.items.get(itemIdOf(requestId, row));
    if (!item || (item.state !== 'open' && item.state !== 'leased')) return false;
    if (modelName !== '' && modelName !== item.series.modelName && modelName !== item.series.node)
      return false;
    this.remove(item.itemId);
    this.counts.labelledElsewhere++;
    this.settingsDirty = true;
    return true;
  }

  view(nowMs: number): QueueView {
    let open = 0;
    let leased = 0;
    for (const item of this.items.values()) {
      if (item.state === 'open' || (item.state === 'leased' && (item.leaseExpireMs ?? 0) <= nowMs)) open++;
      else if (item.state === 'leased') leased++;
    }
    return {
      settings: this.settings,
      createMs: this.createMs,
      updateMs: this.updateMs,
      counts: { ...this.counts, open, leased },
    };
  }
}

/** An item's place in a queue's order: [primary, item id], ascending. */
export type SortKey = readonly [number, string];

export function compareKeys(a: SortKey, b: SortKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  return a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0;
}

/** A page token: the last item's sort key, so a page goes on after it even if it left. */
export function encodePageToken(key: SortKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodePageToken(token: string): SortKey {
  try {
    const key = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === 2 && typeof key[0] === 'number' && typeof key[1] === 'string')
      return [key[0], key[1]];
  } catch {
    // Falls through to the error below.
  }
  throw new InvalidArgumentError(
    'page_token: not a token this service gave (start again with an empty token)',
  );
}

/** The item as callers see it. */
export function itemView(item: ItemRecord): AnnotationItemView {
  return {
    itemId: item.itemId,
    series: item.series,
    requestId: item.requestId,
    row: item.row,
    predictionMs: item.predictionMs,
    task: item.task,
    inputs: item.inputs,
    inputsTruncated: item.inputsTruncated,
    prediction: item.prediction,
    ...(item.shadowPrediction ? { shadowPrediction: item.shadowPrediction } : {}),
    reason: item.reason,
    state: item.state,
    annotator: item.annotator,
    ...(item.leaseExpireMs === undefined ? {} : { leaseExpireMs: item.leaseExpireMs }),
    createMs: item.createMs,
    ...(item.closeMs === undefined ? {} : { closeMs: item.closeMs }),
  };
}
