/**
 * Scores detectors on the live event stream: routes each InferenceEvent to the attachments
 * it matches, reads its rows, keeps a window per (attachment, model version), scores each
 * window as it closes and hands the result on. It never throws for an event: one it cannot
 * read is counted per detector and reason and reported to `onUnreadable`.
 */
import type { InferenceEvent } from '@sightline/events';
import { EventRowReader } from '../table/event-row-reader.js';
import type { ColumnKind, TableInputProblem } from '../table/feature-table.js';
import {
  type Attachment,
  matchesAttachment,
  type ResolvedAttachment,
  resolveAttachment,
} from './attachment.js';
import { type ClosedWindow, WindowAssembler, type WindowCheckpoint } from './window-assembler.js';
import {
  DEFAULT_MAX_REQUEST_IDS_PER_WINDOW,
  type ScoringDetector,
  scoreWindow,
  scoreWindowAsync,
  type WindowResult,
} from './window-result.js';

/**
 * Why an event (or a window) was not scored: a table problem, `no-detector` (the attached
 * detector has no readable fitted version), `score-failed` (the kind refused the window),
 * or `handler-failed` (the window was scored but `onWindowResult` threw).
 */
export type UnscoredReason = TableInputProblem | 'no-detector' | 'score-failed' | 'handler-failed';

/** How often a service should checkpoint open windows by default (see the README's restart rule). */
export const DEFAULT_CHECKPOINT_INTERVAL_MS = 10_000;

/** The checkpoint format's version. */
export const LIVE_CHECKPOINT_SCHEMA_VERSION = 1;

/** Where the live scorer finds a detector's current fitted version. */
export interface DetectorSource<TResult> {
  /** The current version of `name`, or undefined when it has none that can score. */
  get(name: string): ScoringDetector<TResult> | undefined;
}

/** Options of {@link LiveScorer}. */
export interface LiveScorerOptions<TResult> {
  readonly detectors: DetectorSource<TResult>;
  /**
   * Called for every scored window: synchronously as it closes, or, for a detector with
   * `scoreAsync`, when its score arrives, in the order the detector's windows closed.
   */
  readonly onWindowResult: (result: WindowResult<TResult>) => void;
  /**
   * Called for every unscored event or window, for logs; `error` is what the score threw or
   * rejected with (an async scorer's refusal, e.g. a full queue, can be told apart by it).
   */
  readonly onUnscored?: (detector: string, reason: UnscoredReason, message: string, error?: unknown) => void;
  /** Milliseconds since the epoch: the windows' time (arrival time, not event time). */
  readonly clock?: () => number;
  /** Request ids listed per window result (default {@link DEFAULT_MAX_REQUEST_IDS_PER_WINDOW}). */
  readonly maxRequestIdsPerWindow?: number;
  /**
   * A replica that does not score its windows itself: every closed window is handed here
   * (to be sent to the merging replica as a share) instead of being scored.
   */
  readonly shareWindow?: (window: ClosedWindow, of: SharedWindowOf) => void;
}

/** Whose a shared window is. */
export interface SharedWindowOf {
  readonly detector: string;
  readonly detectorVersion: number;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly kinds: readonly ColumnKind[];
}

/** The open windows, as JSON. */
export interface LiveCheckpoint {
  readonly schemaVersion: number;
  readonly takenAtMs: number;
  readonly windows: readonly {
    readonly attachmentKey: string;
    readonly detector: string;
    readonly detectorVersion: number;
    readonly modelName: string;
    readonly modelVersion: string;
    readonly assembler: WindowCheckpoint;
  }[];
}

/** Unscored counts of one detector and reason. */
export interface UnscoredCount {
  readonly detector: string;
  readonly reason: UnscoredReason;
  readonly count: number;
}

interface OpenWindow<TResult> {
  readonly attachmentKey: string;
  readonly attachment: ResolvedAttachment;
  readonly detector: ScoringDetector<TResult>;
  readonly modelVersion: string;
  readonly assembler: WindowAssembler;
  readonly reader: EventRowReader;
}

function attachmentKey(a: Attachment): string {
  return JSON.stringify([a.detector, a.modelName, a.modelVersion ?? null, a.graph ?? null, a.node ?? null]);
}

/** The key of a window: its attachment's key and the model version (attachment keys are JSON, without NUL). */
function windowKeyOf(attachmentKey: string, modelVersion: string): string {
  return `${attachmentKey}\u0000${modelVersion}`;
}

/** Live scoring over attachments. */
export class LiveScorer<TResult> {
  private attachments: { key: string; attachment: ResolvedAttachment }[] = [];
  private readonly windows = new Map<string, OpenWindow<TResult>>();
  private readonly unscored = new Map<string, number>();
  /** Per detector, the delivery of its last window scored asynchronously (chained in close order). */
  private readonly delivering = new Map<string, Promise<void>>();
  private inFlight = 0;
  private readonly clock: () => number;
  private readonly maxRequestIds: number;

  constructor(private readonly options: LiveScorerOptions<TResult>) {
    this.clock = options.clock ?? Date.now;
    this.maxRequestIds = options.maxRequestIdsPerWindow ?? DEFAULT_MAX_REQUEST_IDS_PER_WINDOW;
  }

  /**
   * Replaces the attachments. Open windows of attachments that remain are kept; those of
   * removed attachments are dropped unscored.
   * @throws InvalidArgumentError for a bad attachment (nothing is replaced then).
   */
  setAttachments(attachments: readonly Attachment[]): void {
    const resolved = attachments.map((a) => ({ key: attachmentKey(a), attachment: resolveAttachment(a) }));
    const keys = new Set(resolved.map((a) => a.key));
    for (const [windowKey, window] of this.windows)
      if (!keys.has(window.attachmentKey)) this.windows.delete(windowKey);
    this.attachments = resolved;
  }

  /** Routes, reads and windows one event; scores any window it closes. Never throws. */
  accept(event: InferenceEvent): void {
    const now = this.clock();
    for (const { key, attachment } of this.attachments) {
      if (!matchesAttachment(attachment, event)) continue;
      const detector = this.options.detectors.get(attachment.detector);
      if (detector === undefined) {
        this.count(attachment.detector, 'no-detector', 'the detector has no fitted version that can score');
        continue;
      }
      const window = this.windowFor(key, attachment, detector, event.modelVersion, now);
      const read = window.reader.read(event);
      if (!read.ok) {
        this.count(attachment.detector, read.problem, read.message);
        continue;
      }
      const closed = window.assembler.add({
        values: read.values,
        rows: read.rows,
        timeMs: now,
        requestId: event.requestId,
        ...(read.typeViolations ? { typeViolations: read.typeViolations } : {}),
      });
      this.score(window, closed);
    }
  }

  /** Closes the windows due by time now and scores them. Call it on a timer. */
  tick(): void {
    const now = this.clock();
    for (const window of this.windows.values()) this.score(window, window.assembler.poll(now));
  }

  /** Closes and scores every open window with enough rows (the end of a run or a test). */
  flush(): void {
    const now = this.clock();
    for (const window of this.windows.values()) this.score(window, window.assembler.flush(now));
  }

  /** Windows closed and being scored asynchronously, not yet delivered, of every detector. */
  get scoring(): number {
    return this.inFlight;
  }

  /** Resolves once every window scored asynchronously so far is delivered (or counted unscored). */
  async settled(): Promise<void> {
    while (this.delivering.size > 0) await Promise.all([...this.delivering.values()]);
  }

  /** Unscored counts per detector and reason, since start. */
  unscoredCounts(): UnscoredCount[] {
    return [...this.unscored].map(([k, count]) => {
      const [detector, reason] = JSON.parse(k) as [string, UnscoredReason];
      return { detector, reason, count };
    });
  }

  /** Rows held per open window that holds any. */
  openWindows(): { detector: string; modelName: string; modelVersion: string; rows: number }[] {
    return [...this.windows.values()]
      .filter((w) => w.assembler.openRows > 0)
      .map((w) => ({
        detector: w.detector.name,
        modelName: w.attachment.modelName,
        modelVersion: w.modelVersion,
        rows: w.assembler.openRows,
      }));
  }

  /** The open windows, to persist at shutdown and every checkpoint interval. */
  checkpoint(): LiveCheckpoint {
    return {
      schemaVersion: LIVE_CHECKPOINT_SCHEMA_VERSION,
      takenAtMs: this.clock(),
      windows: [...this.windows.values()]
        .filter((w) => w.assembler.openRows > 0)
        .map((w) => ({
          attachmentKey: w.attachmentKey,
          detector: w.detector.name,
          detectorVersion: w.detector.version,
          modelName: w.attachment.modelName,
          modelVersion: w.modelVersion,
          assembler: w.assembler.checkpoint(),
        })),
    };
  }

  /**
   * Reopens the windows of `checkpoint` (after `setAttachments`). A window is dropped when
   * its attachment is gone, its detector has another current version or another width, or
   * the checkpoint is of a newer format.
   */
  restore(checkpoint: LiveCheckpoint): { restored: number; dropped: number } {
    if (checkpoint.schemaVersion > LIVE_CHECKPOINT_SCHEMA_VERSION) {
      return { restored: 0, dropped: checkpoint.windows.length };
    }
    let restored = 0;
    for (const saved of checkpoint.windows) {
      const attachment = this.attachments.find((a) => a.key === saved.attachmentKey)?.attachment;
      const detector = attachment && this.options.detectors.get(saved.detector);
      if (
        attachment === undefined ||
        detector === undefined ||
        detector.version !== saved.detectorVersion ||
        detector.schema.names.length !== saved.assembler.width
      ) {
        continue;
      }
      let assembler: WindowAssembler;
      try {
        assembler = WindowAssembler.restore({ ...saved.assembler, policy: attachment.window });
      } catch {
        continue;
      }
      this.windows.set(windowKeyOf(saved.attachmentKey, saved.modelVersion), {
        attachmentKey: saved.attachmentKey,
        attachment,
        detector,
        modelVersion: saved.modelVersion,
        assembler,
        reader: new EventRowReader(attachment, detector.schema, detector.nonFinite),
      });
      restored++;
    }
    return { restored, dropped: checkpoint.windows.length - restored };
  }

  private windowFor(
    key: string,
    attachment: ResolvedAttachment,
    detector: ScoringDetector<TResult>,
    modelVersion: string,
    now: number,
  ): OpenWindow<TResult> {
    const windowKey = windowKeyOf(key, modelVersion);
    const open = this.windows.get(windowKey);
    if (open !== undefined && open.detector.version === detector.version) return open;
    if (open !== undefined) {
      // A new fitted version starts new windows; the old one is scored by the version that read its rows.
      const tooFew = open.assembler.openRows < open.assembler.policy.minRows ? open.assembler.openEvents : 0;
      this.score(open, open.assembler.flush(now));
      const width = detector.schema.names.length;
      if (tooFew > 0 && open.assembler.width !== width) {
        // Too few to score with the old version, and of a width the new one cannot read: counted, not lost.
        for (let i = 0; i < tooFew; i++) {
          this.count(
            attachment.detector,
            'width',
            `the detector was refitted to ${width} features per row; an event of ${open.assembler.width} held before the refit cannot be scored`,
          );
        }
      }
    }
    const window: OpenWindow<TResult> = {
      attachmentKey: key,
      attachment,
      detector,
      modelVersion,
      assembler: new WindowAssembler(attachment.window, detector.schema.names.length, {
        kinds: detector.schema.kinds,
      }),
      reader: new EventRowReader(attachment, detector.schema, detector.nonFinite),
    };
    this.windows.set(windowKey, window);
    return window;
  }

  private score(window: OpenWindow<TResult>, closed: readonly ClosedWindow[]): void {
    if (this.options.shareWindow) {
      this.share(window, closed);
      return;
    }
    for (const c of closed) {
      if (window.detector.scoreAsync) {
        this.scoreLater(window, c);
        continue;
      }
      let result: WindowResult<TResult>;
      try {
        result = scoreWindow(
          window.detector,
          window.attachment.modelName,
          window.modelVersion,
          c,
          this.maxRequestIds,
        );
      } catch (error) {
        this.count(window.detector.name, 'score-failed', (error as Error).message, error);
        continue;
      }
      this.deliver(window.detector.name, result);
    }
  }

  /** Hands closed windows to `shareWindow` (a replica that does not score). */
  private share(window: OpenWindow<TResult>, closed: readonly ClosedWindow[]): void {
    for (const c of closed) {
      try {
        this.options.shareWindow!(c, {
          detector: window.detector.name,
          detectorVersion: window.detector.version,
          modelName: window.attachment.modelName,
          modelVersion: window.modelVersion,
          kinds: window.detector.schema.kinds,
        });
      } catch (error) {
        this.count(window.detector.name, 'handler-failed', (error as Error).message);
      }
    }
  }

  /**
   * Starts scoring `closed` now (windows of one detector may score in parallel) and chains
   * its delivery after the detector's previous window, so results keep their close order.
   */
  private scoreLater(window: OpenWindow<TResult>, closed: ClosedWindow): void {
    const name = window.detector.name;
    const scoring = scoreWindowAsync(
      window.detector,
      window.attachment.modelName,
      window.modelVersion,
      closed,
      this.maxRequestIds,
    );
    // Handled below, after the previous window's delivery; this keeps an early rejection quiet.
    scoring.catch(() => undefined);
    this.inFlight++;
    const previous = this.delivering.get(name) ?? Promise.resolve();
    const delivered = previous
      .then(() => scoring)
      .then(
        (result) => this.deliver(name, result),
        (error: unknown) =>
          this.count(name, 'score-failed', error instanceof Error ? error.message : String(error), error),
      )
      .finally(() => {
        this.inFlight--;
        if (this.delivering.get(name) === delivered) this.delivering.delete(name);
      });
    this.delivering.set(name, delivered);
  }

  private deliver(detector: string, result: WindowResult<TResult>): void {
    try {
      this.options.onWindowResult(result);
    } catch (error) {
      this.count(detector, 'handler-failed', (error as Error).message, error);
    }
  }

  private count(detector: string, reason: UnscoredReason, message: string, error?: unknown): void {
    const key = JSON.stringify([detector, reason]);
    this.unscored.set(key, (this.unscored.get(key) ?? 0) + 1);
    this.options.onUnscored?.(detector, reason, message, error);
  }
}
