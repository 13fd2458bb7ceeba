/**
 * Live windows of the attached detectors, over libs/detect's LiveScorer: the service's
 * attachments become detect's (one window per model version, closing on rows or time,
 * whichever first, short windows carried over), each scored window is reported as a
 * {@link LiveWindowResult}, and an event that cannot be read is counted per reason.
 *
 * Restart rule (libs/detect's): open windows are checkpointed to one file every
 * `--checkpoint-interval-ms` and at a graceful stop, and restored at start once the
 * detectors are re-attached, when the detector's fitted version is unchanged; a kill -9
 * loses at most the rows that arrived since the last checkpoint.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import {
  type Attachment,
  type ClosedWindow,
  type DetectorSource,
  type DriftResult,
  LiveScorer,
  readLiveCheckpoint,
  type SharedWindowOf,
  type ShareOutcome,
  type WindowCloseReason,
  type WindowResult,
  type WindowShare,
  WindowShareMerger,
  windowShareOf,
  writeLiveCheckpoint,
} from '@sightline/detect';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  UnavailableError,
} from '@sightline/errors';
import type { InferenceEvent } from '@sightline/events';
import type { Logger } from '@sightline/service-kit';
import type { EngineListener } from '../data-plane/drift-engine.js';
import type { EventSelection, WindowSettings } from '../data-plane/drift-types.js';
import type { DriftVerdict, WindowClosedBy } from '../results/drift-event.js';

/** The checkpoint file of the open windows, in the windows directory. */
export const LIVE_CHECKPOINT_FILE = 'live-windows.json';
/**
 * Window lengths, past --merge-grace-ms, that a share may end before now: a sender's retries
 * (backoff doubling, --merge-retries) fit in them; an older share's window was scored already.
 */
export const MERGE_PAST_WINDOWS = 2;

/** The contract's `closed_by` of each of detect's close reasons (a flush is the end of a run or a stop). */
export const CLOSED_BY: Readonly<Record<WindowCloseReason, WindowClosedBy>> = {
  rows: 'rows',
  hop: 'rows',
  time: 'time',
  flush: 'shutdown',
};

/** detect's attachment of a service selection and window. */
export function detectAttachment(
  name: string,
  selection: EventSelection,
  window: WindowSettings,
  /** A replica in a merged set: aligned windows, and every window's rows sent however few. */
  shared = false,
): Attachment {
  return {
    detector: name,
    modelName: selection.modelName,
    ...(selection.modelVersion ? { modelVersion: selection.modelVersion } : {}),
    ...(selection.graph ? { graph: selection.graph } : {}),
    side: selection.side,
    ...(selection.tensors[0] ? { tensor: selection.tensors[0] } : {}),
    ...(selection.columnNames.length > 0 ? { columnNames: selection.columnNames } : {}),
    window: {
      mode: window.mode,
      maxRows: window.maxRows,
      maxDurationMs: window.maxDurationMs,
      minRows: shared ? 1 : Math.min(window.minRows, window.maxRows),
      hopRows: Math.min(window.slideRows, window.maxRows),
      ...(window.exactRows !== undefined
        ? { exactRows: Math.max(window.exactRows, shared ? 1 : Math.min(window.minRows, window.maxRows)) }
        : {}),
      ...(window.aligned || (shared && window.mode === 'tumbling') ? { aligned: true } : {}),
    },
  };
}

/**
 * The windows-dropped reason of a window whose score failed: `scoring_queue_full` (more than
 * --max-pending-scores waiting), `scoring_thread_failed` (its thread died, or the service
 * stopped first), else `test_failed` (the kind refused the window).
 */
export function droppedReasonOf(error: unknown): string {
  if (error instanceof ResourceExhaustedError) return 'scoring_queue_full';
  if (error instanceof InternalError || error instanceof UnavailableError) return 'scoring_thread_failed';
  return 'test_failed';
}

/** Options of {@link LiveWindows}. */
export interface LiveWindowsOptions {
  readonly directory: string;
  readonly listener: EngineListener;
  readonly maxRequestIds: number;
  readonly detectors: DetectorSource<DriftResult>;
  readonly verdict: (result: DriftResult) => DriftVerdict;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Replicas: this one merges (`replicas` > 1, no `send`) or sends its windows to the merger (`send`). */
  readonly replication?: ReplicationSettings;
}

/** How this replica takes part in merged windows (--replicas, --merge-into). */
export interface ReplicationSettings {
  readonly replicaId: string;
  /** The merger: shares of this many replicas, itself included, make a window. */
  readonly replicas: number;
  /** The merger: wait after a window's end for missing shares. */
  readonly graceMs: number;
  /** The merger: most windows held open waiting for shares (--max-merge-windows). */
  readonly maxWindows?: number;
  /** A non-merging replica: delivers a share to the merger (retries are the sender's). */
  readonly send?: (share: WindowShare) => void;
}

/** The attached detectors' open windows. */
export class LiveWindows {
  private readonly attachments = new Map<string, Attachment>();
  private readonly scorer: LiveScorer<DriftResult>;
  /** Detector and drop reason already logged (once each per attachment: the counter has the rest). */
  private readonly logged = new Set<string>();
  /** The merger of replicas' shares (this service runs with --replicas N). */
  private readonly merger: WindowShareMerger<DriftResult> | undefined;
  /** Whether windows are shares (sent to the merger, or merged here) rather than scored alone. */
  private readonly shared: boolean;
  /** Per window key, the slot of the last share and its part number. */
  private readonly parts = new Map<string, { startMs: number; part: number }>();

  constructor(private readonly options: LiveWindowsOptions) {
    const replication = options.replication;
    this.shared = replication !== undefined && (replication.send !== undefined || replication.replicas > 1);
    if (replication && replication.send === undefined && replication.replicas > 1) {
      this.merger = new WindowShareMerger<DriftResult>({
        detectors: options.detectors,
        expectedShares: replication.replicas,
        graceMs: replication.graceMs,
        slotLengthMs: (share) => this.attachments.get(share.detector)?.window?.maxDurationMs,
        ...(replication.maxWindows !== undefined ? { maxOpenSlots: replication.maxWindows } : {}),
        maxOpenSlotsSetting: '--max-merge-windows',
        clock: options.clock,
        maxRequestIdsPerWindow: options.maxRequestIds,
        onWindowResult: (result) => this.closed(result),
        onUnscored: (detector, reason, message) => {
          const dropped = reason === 'late-share' ? 'late_share' : 'test_failed';
          options.listener.windowDropped(detector, dropped);
          this.logOnce(detector, dropped, message);
        },
      });
    }
    this.scorer = new LiveScorer<DriftResult>({
      ...(this.shared
        ? { shareWindow: (window: ClosedWindow, of: SharedWindowOf) => this.share(window, of) }
        : {}),
      detectors: options.detectors,
      clock: options.clock,
      maxRequestIdsPerWindow: options.maxRequestIds,
      onWindowResult: (result) => this.closed(result),
      onUnscored: (detector, reason, message, error) => {
        if (reason === 'score-failed') {
          const dropped = droppedReasonOf(error);
          options.listener.windowDropped(detector, dropped);
          this.logOnce(detector, dropped, message);
        } else options.listener.unreadable(detector, reason, 1);
      },
    });
  }

  /**
   * Starts (or replaces) the windows of `name`. A different attachment (selector or window)
   * takes effect at once: the windows opened under the old one are removed (libs/detect keys
   * a window by detector and model, so they would otherwise keep the old policy for good) and
   * an open one holding rows is counted as dropped, reason `replaced`. The same attachment
   * again (a refit, the load at start) keeps its windows.
   */
  attach(name: string, selection: EventSelection, window: WindowSettings): void {
    const attachment = detectAttachment(name, selection, window, this.shared);
    const previous = this.attachments.get(name);
    if (previous !== undefined && JSON.stringify(previous) !== JSON.stringify(attachment)) {
      this.detach(name, 'replaced');
    }
    this.attachments.set(name, attachment);
    this.scorer.setAttachments([...this.attachments.values()]);
  }

  /** Stops the windows of `name`; its open window is dropped (counted when it held rows). */
  detach(name: string, reason: string): void {
    if (!this.attachments.has(name)) return;
    const held = this.scorer.openWindows().some((w) => w.detector === name);
    this.attachments.delete(name);
    this.scorer.setAttachments([...this.attachments.values()]);
    for (const key of this.logged) if (key.startsWith(`${name}\u0000`)) this.logged.delete(key);
    if (held) this.options.listener.windowDropped(name, reason);
  }

  /** Logs a dropped window's cause once per detector and reason. */
  private logOnce(detector: string, reason: string, message: string): void {
    const key = `${detector}\u0000${reason}`;
    if (this.logged.has(key)) return;
    this.logged.add(key);
    this.options.logger.warn(
      { detector, reason },
      `detector "${detector}": a live window was dropped untested (${reason}): ${message}; further ones are only counted in sightline_drift_windows_dropped_total`,
    );
  }

  offer(events: readonly InferenceEvent[]): void {
    for (const event of events) this.scorer.accept(event);
  }

  tick(): void {
    this.scorer.tick();
    this.merger?.tick();
  }

  /**
   * Folds a replica's share in; `read` decodes it, called only once this service is known to
   * merge (a non-merger answers that first, whatever the share).
   * @throws FailedPreconditionError when this service does not merge (no --replicas N).
   */
  mergeShare(read: () => WindowShare): ShareOutcome {
    if (this.merger === undefined) {
      throw new FailedPreconditionError(
        'this drift service does not merge window shares; start the merging replica with --replicas N',
      );
    }
    const share = read();
    this.checkShare(share);
    try {
      return this.merger.add(share);
    } catch (error) {
      if (error instanceof AlreadyExistsError) {
        this.options.listener.windowDropped(share.detector, 'share_conflict');
        this.logOnce(share.detector, 'share_conflict', error.message);
      }
      throw error;
    }
  }

  /**
   * Checks a share from another replica against this merger's detector and attachment, so a
   * share that could never be merged (or one far from now, which would be held for good) is
   * refused to its sender rather than merged and dropped later.
   * @throws NotFoundError for a detector not attached here.
   * @throws FailedPreconditionError for another version of the detector than this merger's.
   * @throws InvalidArgumentError naming the field and rule of any other mismatch.
   */
  private checkShare(share: WindowShare): void {
    const attachment = this.attachments.get(share.detector);
    const detector = this.options.detectors.get(share.detector);
    if (attachment === undefined || detector === undefined) {
      throw new NotFoundError(`detector: "${share.detector}" is not attached on this merger`);
    }
    if (share.detectorVersion !== detector.version) {
      throw new FailedPreconditionError(
        `detector_version: the share was cut by version ${share.detectorVersion} of "${share.detector}", this merger scores version ${detector.version}; refit every replica alike`,
      );
    }
    if (share.modelName !== attachment.modelName) {
      throw new InvalidArgumentError(
        `model_name: "${share.modelName}" is not the model "${attachment.modelName}" that "${share.detector}" is attached to`,
      );
    }
    if (attachment.modelVersion !== undefined && share.modelVersion !== attachment.modelVersion) {
      throw new InvalidArgumentError(
        `model_version: "${share.modelVersion}" is not the version "${attachment.modelVersion}" that "${share.detector}" is attached to`,
      );
    }
    const lengthMs = attachment.window?.maxDurationMs ?? 0;
    const { windowStartMs: start, windowEndMs: end } = share;
    if (!(lengthMs > 0) || start % lengthMs !== 0) {
      throw new InvalidArgumentError(
        `window_start_time: ${new Date(start).toISOString()} is not aligned to the window length of ${lengthMs} ms`,
      );
    }
    // A window closed on time ends at its slot's end; one closed on rows ends at its close, in the slot.
    if (share.closeReason === 'time' ? end !== start + lengthMs : end < start || end > start + lengthMs) {
      throw new InvalidArgumentError(
        `window_end_time: ${new Date(end).toISOString()} must be ${share.closeReason === 'time' ? 'the window start plus its length' : 'within the window'} (${lengthMs} ms from ${new Date(start).toISOString()}) for a window closed by ${share.closeReason}`,
      );
    }
    const now = this.options.clock();
    const graceMs = this.options.replication?.graceMs ?? 0;
    if (end > now + lengthMs + graceMs) {
      throw new InvalidArgumentError(
        `window_end_time: ${new Date(end).toISOString()} is later than now plus the window length and --merge-grace-ms (clocks apart?)`,
      );
    }
    if (end < now - graceMs - MERGE_PAST_WINDOWS * lengthMs) {
      throw new InvalidArgumentError(
        `window_end_time: ${new Date(end).toISOString()} is earlier than now less --merge-grace-ms and ${MERGE_PAST_WINDOWS} window lengths; its window was scored without it`,
      );
    }
    const width = detector.schema.names.length;
    if (!Array.isArray(share.summary?.kinds) || share.summary.kinds.length !== width) {
      throw new InvalidArgumentError(
        `summary: ${share.summary?.kinds?.length ?? 'no'} columns; "${share.detector}" scores ${width}`,
      );
    }
  }

  /** A closed window of this replica as a share: to the merger, or into the local one. */
  private share(window: ClosedWindow, of: SharedWindowOf): void {
    const replication = this.options.replication!;
    const key = JSON.stringify([of.detector, of.modelName, of.modelVersion]);
    const last = this.parts.get(key);
    const part = last !== undefined && last.startMs === window.startMs ? last.part + 1 : 1;
    this.parts.set(key, { startMs: window.startMs, part });
    const share = windowShareOf(replication.replicaId, part, window, of, of.kinds);
    if (replication.send) replication.send(share);
    else {
      try {
        this.merger!.add(share);
      } catch (error) {
        // Only a full merger (--max-merge-windows) refuses this replica's own share.
        this.options.listener.windowDropped(of.detector, 'merge_windows_full');
        this.logOnce(of.detector, 'merge_windows_full', (error as Error).message);
      }
    }
  }

  /** Resolves once every window being scored on the scoring threads is reported. */
  settled(): Promise<void> {
    return this.scorer.settled();
  }

  /** Saves the open windows. */
  async checkpoint(): Promise<void> {
    await mkdir(this.options.directory, { recursive: true });
    await writeLiveCheckpoint(this.file(), this.scorer.checkpoint());
  }

  /** Reopens the windows of the last checkpoint (after the detectors are re-attached). */
  async restore(): Promise<void> {
    const { checkpoint, unreadable } = await readLiveCheckpoint(this.file());
    if (unreadable) {
      this.options.logger.warn(
        { file: this.file(), reason: unreadable },
        'window checkpoint refused; its rows are lost',
      );
      return;
    }
    if (!checkpoint) return;
    const { restored, dropped } = this.scorer.restore(checkpoint);
    // A dropped window's detector was refitted, detached or deleted while the service was down.
    this.options.logger.info({ restored, dropped }, 'open live windows restored');
  }

  private file(): string {
    return path.join(this.options.directory, LIVE_CHECKPOINT_FILE);
  }

  private closed(result: WindowResult<DriftResult>): void {
    this.options.listener.windowClosed({
      detector: result.detector,
      detectorVersion: result.detectorVersion,
      modelName: result.modelName,
      modelVersion: result.modelVersion,
      windowStartUnixMs: result.startMs,
      windowEndUnixMs: result.endMs,
      events: result.requestCount,
      rows: result.rows,
      requestIds: result.requestIds,
      requestIdCount: result.requestCount,
      closedBy: CLOSED_BY[result.closeReason],
      closedAtMs: this.options.clock(),
      verdict: this.options.verdict(result.result),
      ...(result.shares ? { shares: result.shares } : {}),
    });
  }
}
