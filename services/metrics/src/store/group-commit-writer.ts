/**
 * Group commit in front of a MetricsStore's two write calls. A durable commit costs one disk
 * sync (0.3 to 3 ms on this machine's disk), so a caller that writes one feedback item per
 * call is bounded by the sync rate, not by the join. Calls that arrive while a commit is being
 * prepared or is in flight wait for the next one and share it: each caller still gets its own
 * result, resolved only once its items are committed, and at most `maxItemsPerCommit` items go
 * into one transaction.
 *
 * With better-sqlite3 a commit blocks the event loop, so the calls that arrive meanwhile are
 * read together on the next turn and share the following commit; with PostgreSQL they queue
 * while the transaction is in flight.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { FeedbackRecord, JoinedPair, PredictionRecord } from '../domain/records.js';
import type {
  ItemRejection,
  MetricsStore,
  RecordFeedbackResult,
  RecordPredictionsResult,
} from './metrics-store.js';
import { checkTime } from './query-validation.js';
import { checkItemCount, type StoreLimits } from './store-limits.js';

interface Waiting<T, R> {
  readonly items: readonly T[];
  readonly nowMs: number;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/** One queue of calls of one kind, committed in groups, one commit at a time. */
class CommitQueue<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private scheduled = false;

  constructor(
    private readonly maxItems: number,
    /** Commits the items of several calls as one and splits the result per call. */
    private readonly commit: (calls: readonly Waiting<T, R>[]) => Promise<R[]>,
  ) {}

  submit(items: readonly T[], nowMs: number): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ items, nowMs, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Commits the group. When the store refuses the group's arguments (InvalidArgumentError: one
   * caller's bad argument the checks before queueing did not catch) and the group holds several
   * calls, each call is committed alone, so only that caller fails; nothing was written by the
   * refused commit. Any other failure (the database's) fails the group's calls.
   */
  private async commitGroup(group: readonly Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.commit(group);
      for (const [i, call] of group.entries()) call.resolve(results[i]!);
      return;
    } catch (error) {
      if (group.length === 1 || !(error instanceof InvalidArgumentError)) {
        for (const call of group) call.reject(error);
        return;
      }
    }
    for (const call of group) {
      try {
        call.resolve((await this.commit([call]))[0]!);
      } catch (error) {
        call.reject(error);
      }
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: the calls that arrived during the last commit are read first.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const group: Waiting<T, R>[] = [];
    let count = 0;
    while (
      this.waiting.length > 0 &&
      (group.length === 0 || count + this.waiting[0]!.items.length <= this.maxItems)
    ) {
      const next = this.waiting.shift()!;
      group.push(next);
      count += next.items.length;
    }
    try {
      await this.commitGroup(group);
    } finally {
      this.scheduled = false;
      if (this.waiting.length > 0) this.schedule();
    }
  }
}

export interface GroupCommitOptions {
  /** Items in one shared transaction (default and ceiling: the store's `maxItemsPerCall`). */
  readonly maxItemsPerCommit?: number;
}

/**
 * `recordPredictions` and `recordFeedback` with group commit; every other call goes to the
 * store directly. A group's pairs get the latest `nowMs` of its calls as `joinedMs`.
 */
export class GroupCommitWriter {
  private readonly predictions: CommitQueue<PredictionRecord, RecordPredictionsResult>;
  private readonly feedback: CommitQueue<FeedbackRecord, RecordFeedbackResult>;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly store: MetricsStore,
    private readonly limits: StoreLimits,
    options: GroupCommitOptions = {},
  ) {
    const maxItems = Math.min(options.maxItemsPerCommit ?? limits.maxItemsPerCall, limits.maxItemsPerCall);
    this.predictions = new CommitQueue(maxItems, (calls) => this.commitPredictions(calls));
    this.feedback = new CommitQueue(maxItems, (calls) => this.commitFeedback(calls));
  }

  async recordPredictions(
    records: readonly PredictionRecord[],
    nowMs: number,
  ): Promise<RecordPredictionsResult> {
    // Checked here, so a bad or oversized call fails alone instead of failing the group it joins.
    checkCall('predictions', records, nowMs, this.limits);
    return this.track(this.predictions.submit(records, nowMs));
  }

  async recordFeedback(items: readonly FeedbackRecord[], nowMs: number): Promise<RecordFeedbackResult> {
    checkCall('feedback', items, nowMs, this.limits);
    return this.track(this.feedback.submit(items, nowMs));
  }

  /** Resolves once every call made so far has settled: await it before closing the store. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private track<R>(result: Promise<R>): Promise<R> {
    this.inFlight.add(result);
    const forget = () => this.inFlight.delete(result);
    result.then(forget, forget);
    return result;
  }

  private async commitPredictions(
    calls: readonly Waiting<PredictionRecord, RecordPredictionsResult>[],
  ): Promise<RecordPredictionsResult[]> {
    const all = await this.store.recordPredictions(
      calls.flatMap((c) => c.items),
      Math.max(...calls.map((c) => c.nowMs)),
    );
    // Pairs go to the call whose item recorded that event (a later call's copy is a duplicate).
    const pairsByEvent = new Map<string, JoinedPair[]>();
    for (const pair of all.pairs) {
      const list = pairsByEvent.get(pair.eventId) ?? [];
      list.push(pair);
      pairsByEvent.set(pair.eventId, list);
    }
    let offset = 0;
    return calls.map((call) => {
      const statuses = all.statuses.slice(offset, offset + call.items.length);
      const rejected = shiftRejections(all.rejected, offset, call.items.length);
      const pairs = call.items.flatMap((item, i) =>
        statuses[i] === 'recorded' ? (pairsByEvent.get(item.eventId) ?? []) : [],
      );
      offset += call.items.length;
      return {
        recorded: statuses.filter((s) => s === 'recorded').length,
        duplicates: statuses.filter((s) => s === 'duplicate').length,
        rejected,
        statuses,
        pairs,
      };
    });
  }

  private async commitFeedback(
    calls: readonly Waiting<FeedbackRecord, RecordFeedbackResult>[],
  ): Promise<RecordFeedbackResult[]> {
    const all = await this.store.recordFeedback(
      calls.flatMap((c) => c.items),
      Math.max(...calls.map((c) => c.nowMs)),
    );
    let offset = 0;
    return calls.map((call) => {
      const result = {
        outcomes: all.outcomes.slice(offset, offset + call.items.length),
        rejected: shiftRejections(all.rejected, offset, call.items.length),
      };
      offset += call.items.length;
      return result;
    });
  }
}

/** A call's own arguments: an array within the item limit and an integer `nowMs`. */
function checkCall(what: string, items: unknown, nowMs: unknown, limits: StoreLimits): void {
  if (!Array.isArray(items))
    throw new InvalidArgumentError(`${what}: must be an array of items, got ${typeof items}.`, {
      field: what,
    });
  checkItemCount(what, items.length, limits);
  checkTime('nowMs', nowMs);
}

/** The rejections of items [offset, offset + count), indexed from the call's own start. */
function shiftRejections(rejected: readonly ItemRejection[], offset: number, count: number): ItemRejection[] {
  return rejected
    .filter((r) => r.index >= offset && r.index < offset + count)
    .map((r) => ({ ...r, index: r.index - offset }));
}
