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
  FailedPreconditionError,
  InternalError,
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
   * Folds a replica's share in.
   * @throws FailedPreconditionError when this service does not merge (no --replicas N).
   */
  mergeShare(share: WindowShare): ShareOutcome {
    if (this.merger === undefined) {
      throw new FailedPreconditionError(
        'this drift service does not merge window shares; start the merging replica with --replicas N',
      );
    }
    return this.merger.add(share);
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
    else this.merger!.add(share);
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
