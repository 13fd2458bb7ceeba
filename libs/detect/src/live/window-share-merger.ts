/**
 * Windows cut by several replicas of a service, merged into one: each replica closes its
 * aligned window (the same time slot on every replica) as a {@link WindowShare}, a summary
 * of its rows, and sends it to one merging replica; the merger folds the shares of a slot
 * together and scores the merged window once every expected share arrived, or once the
 * grace after the slot's end passed, stating how many shares it merged.
 */
import { createHash } from 'node:crypto';
import { AlreadyExistsError, InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import type { DetectorSource, UnscoredReason } from './live-scorer.js';
import type { ClosedWindow, WindowCloseReason } from './window-assembler.js';
import { scoreWindow, type WindowResult } from './window-result.js';
import { WindowSummary, type WindowSummaryJson } from './window-summary.js';

/** How long the merger waits after a slot's end for missing shares, by default. */
export const DEFAULT_MERGE_GRACE_MS = 5_000;
/** Slots the merger remembers as closed, so that a late or repeated share is recognised. */
export const MERGER_CLOSED_SLOTS_REMEMBERED = 10_000;
/** Slots the merger holds open at once, by default: each holds up to one summary per replica. */
export const DEFAULT_MAX_MERGE_WINDOWS = 1_000;

/** One replica's part of an aligned window. */
export interface WindowShare {
  /** The sending replica (a retry carries the same id: shares are idempotent per replica and part). */
  readonly replica: string;
  /** 1 for a replica's only share of a slot; 2, 3 ... when its window closed on rows first. */
  readonly part: number;
  readonly detector: string;
  readonly detectorVersion: number;
  readonly modelName: string;
  readonly modelVersion: string;
  /** The slot: its aligned start and end, ms since the epoch. */
  readonly windowStartMs: number;
  readonly windowEndMs: number;
  readonly closeReason: WindowCloseReason;
  readonly summary: WindowSummaryJson;
}

/** The share of a closed window, to send to the merger. */
export function windowShareOf(
  replica: string,
  part: number,
  window: ClosedWindow,
  meta: { detector: string; detectorVersion: number; modelName: string; modelVersion: string },
  kinds: WindowSummary['kinds'],
): WindowShare {
  const summary = window.summary ?? new WindowSummary({ kinds }).addWindow(window);
  return {
    replica,
    part,
    ...meta,
    windowStartMs: window.startMs,
    windowEndMs: window.endMs,
    closeReason: window.reason,
    summary: summary.toJSON(),
  };
}

/** Options of {@link WindowShareMerger}. */
export interface WindowShareMergerOptions<TResult> {
  readonly detectors: DetectorSource<TResult>;
  /** Replicas whose shares make a whole window (the merger's own included). */
  readonly expectedShares: number;
  /** Wait after a slot's end for missing shares (default {@link DEFAULT_MERGE_GRACE_MS}). */
  readonly graceMs?: number;
  /**
   * The length of a share's slot (its attachment's window length), so the grace runs from the
   * slot's end even when the first share closed on rows early in the slot; without it, from
   * the latest end among the shares.
   */
  readonly slotLengthMs?: (share: WindowShare) => number | undefined;
  readonly clock?: () => number;
  readonly maxRequestIdsPerWindow: number;
  /** Most slots open at once (default {@link DEFAULT_MAX_MERGE_WINDOWS}): a share opening one more is refused. */
  readonly maxOpenSlots?: number;
  /** The setting that raises `maxOpenSlots`, named in the refusal (e.g. `--max-merge-windows`). */
  readonly maxOpenSlotsSetting?: string;
  /** Called for every merged window scored. */
  readonly onWindowResult: (result: WindowResult<TResult>) => void;
  /** Called for a merged window that could not be scored, or a share refused. */
  readonly onUnscored?: (detector: string, reason: UnscoredReason | 'late-share', message: string) => void;
}

/** What {@link WindowShareMerger.add} did with a share. */
export type ShareOutcome = 'merged' | 'duplicate' | 'late';

interface OpenSlot {
  readonly first: WindowShare;
  readonly summary: WindowSummary;
  /** Per replica and part, the SHA-256 of its summary: a retry carries the same one. */
  readonly parts: Map<string, string>;
  readonly replicas: Set<string>;
  /** Replicas whose window for the slot closed on time: their shares are complete. */
  readonly complete: Set<string>;
  closeReason: WindowCloseReason;
  /** When the slot ends: the grace for missing shares runs from here. */
  endMs: number;
}

/** Merges replicas' shares of aligned windows and scores each merged window once. */
export class WindowShareMerger<TResult> {
  private readonly slots = new Map<string, OpenSlot>();
  private readonly closed = new Set<string>();
  private readonly clock: () => number;
  private readonly graceMs: number;
  private readonly maxOpenSlots: number;
  private sequence = 0;

  constructor(private readonly options: WindowShareMergerOptions<TResult>) {
    if (!Number.isInteger(options.expectedShares) || options.expectedShares < 1) {
      throw new InvalidArgumentError(
        `expectedShares: expected an integer >= 1, got ${options.expectedShares}`,
      );
    }
    this.clock = options.clock ?? Date.now;
    this.graceMs = options.graceMs ?? DEFAULT_MERGE_GRACE_MS;
    this.maxOpenSlots = options.maxOpenSlots ?? DEFAULT_MAX_MERGE_WINDOWS;
  }

  /** Slots waiting for shares. */
  get openSlots(): number {
    return this.slots.size;
  }

  /**
   * Folds one share in; scores its window when it was the last expected one. A share seen
   * before (the same replica and part with the same summary: a retry) is ignored; one for a
   * slot already scored is late, counted and dropped.
   * @throws InvalidArgumentError for a share whose summary cannot be read or merged.
   * @throws AlreadyExistsError for a share of a replica and part already merged with another
   * summary: two replicas run with the same replica id, and the rows of one would vanish.
   * @throws ResourceExhaustedError for a share opening a slot past `maxOpenSlots`.
   */
  add(share: WindowShare): ShareOutcome {
    const key = slotKey(share);
    if (this.closed.has(key)) {
      this.options.onUnscored?.(
        share.detector,
        'late-share',
        `a share from replica "${share.replica}" arrived after the window starting ${new Date(share.windowStartMs).toISOString()} was scored`,
      );
      return 'late';
    }
    const part = `${share.replica}\u0000${share.part}`;
    const digest = createHash('sha256').update(JSON.stringify(share.summary)).digest('hex');
    let slot = this.slots.get(key);
    const seen = slot?.parts.get(part);
    if (seen === digest) return 'duplicate';
    if (seen !== undefined) {
      throw new AlreadyExistsError(
        `replica: "${share.replica}" already sent part ${share.part} of the window starting ${new Date(share.windowStartMs).toISOString()} with other rows; two replicas run with the same replica id`,
      );
    }
    if (slot === undefined && this.slots.size >= this.maxOpenSlots) {
      throw new ResourceExhaustedError(
        `window_start_time: ${this.slots.size} windows are waiting for shares; at most ${this.maxOpenSlots}${this.options.maxOpenSlotsSetting ? ` (${this.options.maxOpenSlotsSetting})` : ''}`,
      );
    }
    const summary = WindowSummary.fromJSON(share.summary);
    if (slot === undefined) {
      slot = {
        first: share,
        summary,
        parts: new Map([[part, digest]]),
        replicas: new Set([share.replica]),
        complete: new Set(share.closeReason === 'time' ? [share.replica] : []),
        closeReason: share.closeReason,
        endMs: this.slotEndOf(share),
      };
      this.slots.set(key, slot);
    } else {
      slot.summary.merge(summary);
      slot.endMs = Math.max(slot.endMs, this.slotEndOf(share));
      slot.parts.set(part, digest);
      slot.replicas.add(share.replica);
      // The merged window closed on time when any share did (the slot ended).
      if (share.closeReason === 'time') {
        slot.closeReason = 'time';
        slot.complete.add(share.replica);
      }
    }
    // A replica whose window closed on rows mid-slot sends a first part early; it is
    // complete once its window closing at the slot's end arrives.
    if (slot.complete.size >= this.options.expectedShares) this.score(key, slot);
    return 'merged';
  }

  /** Scores the slots whose grace after their end has passed. Call it on a timer. */
  tick(): void {
    const now = this.clock();
    for (const [key, slot] of this.slots) {
      if (now >= slot.endMs + this.graceMs) this.score(key, slot);
    }
  }

  /** The end of `share`'s slot: its start plus the slot's length when known, else the share's end. */
  private slotEndOf(share: WindowShare): number {
    const length = this.options.slotLengthMs?.(share);
    return length !== undefined && length > 0 ? share.windowStartMs + length : share.windowEndMs;
  }

  private score(key: string, slot: OpenSlot): void {
    this.slots.delete(key);
    this.closed.add(key);
    if (this.closed.size > MERGER_CLOSED_SLOTS_REMEMBERED) {
      this.closed.delete(this.closed.values().next().value!);
    }
    const share = slot.first;
    const detector = this.options.detectors.get(share.detector);
    if (detector === undefined || detector.version !== share.detectorVersion) {
      this.options.onUnscored?.(
        share.detector,
        'no-detector',
        `the merged window was cut by version ${share.detectorVersion}, the merger has ${detector ? `version ${detector.version}` : 'none'}`,
      );
      return;
    }
    this.sequence++;
    const window: ClosedWindow = {
      sequence: this.sequence,
      startMs: share.windowStartMs,
      endMs: Math.max(share.windowEndMs, slot.summary.lastMs ?? share.windowEndMs),
      reason: slot.closeReason,
      rows: slot.summary.rows,
      values: new Float64Array(0),
      requestIds: slot.summary.requestIds,
      carriedRows: 0,
      summary: slot.summary,
      requestCount: slot.summary.requests,
    };
    let result: WindowResult<TResult>;
    try {
      result = scoreWindow(
        detector,
        share.modelName,
        share.modelVersion,
        window,
        this.options.maxRequestIdsPerWindow,
      );
    } catch (error) {
      this.options.onUnscored?.(share.detector, 'score-failed', (error as Error).message);
      return;
    }
    try {
      this.options.onWindowResult({
        ...result,
        shares: { merged: slot.replicas.size, expected: this.options.expectedShares },
      });
    } catch (error) {
      this.options.onUnscored?.(share.detector, 'handler-failed', (error as Error).message);
    }
  }
}

function slotKey(share: WindowShare): string {
  return JSON.stringify([
    share.detector,
    share.detectorVersion,
    share.modelName,
    share.modelVersion,
    share.windowStartMs,
  ]);
}
