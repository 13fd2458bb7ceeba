/**
 * The port between the data plane and the detector machinery: fitting and saving versions
 * with lineage, scoring, live windows and history scans. `detectors/detect-engine.ts`
 * implements it over libs/detect; the data plane adds the service's concerns (the catalog of
 * specs and attachments, the results log, metrics, the sink, limits and spans).
 */
import type { OnlineBudget, ShareOutcome, WindowShare } from '@sightline/detect';
import type { Cancellation } from '@sightline/errors';
import type { EventReader, InferenceEvent } from '@sightline/events';
import type { Tensor } from '@sightline/tensor';
import type { DriftVerdict, WindowClosedBy } from '../results/drift-event.js';
import type {
  DetectorSpec,
  EventSelection,
  HistoryItem,
  InputSpec,
  VersionLineage,
  WindowSettings,
} from './drift-types.js';

/** What the data plane knows of a detector's fitted version in use. */
export interface FittedInfo {
  readonly version: number;
  readonly lineage: VersionLineage;
  readonly featureCount: number;
  readonly schemaVersion: number;
}

/** A saved version refused at load (corrupt, or of a newer schema), the rest loaded. */
export interface RefusedVersion {
  readonly name: string;
  readonly version?: number;
  readonly reason: string;
}

/** Reference data: tensors, or events read from the store (already filtered by time). */
export type ReferenceInput =
  | { readonly tensors: readonly Tensor[] }
  | {
      readonly stored: {
        readonly reader: EventReader;
        readonly fromUnixMs: number;
        readonly toUnixMs: number;
        readonly selection: EventSelection;
        readonly cancellation: Cancellation;
        /** Fewest rows the fit takes (a trailing reference's min_rows); fewer is INVALID_ARGUMENT. */
        readonly minRows?: number;
      };
    };

/** Lineage fields the caller supplies. */
export interface FitProvenance {
  readonly creator: string;
  readonly referenceSource: string;
  /**
   * A scheduled refit: when the reference's SHA-256 equals this (the newest version's), no
   * version is saved and the newest is returned with `unchanged` set.
   */
  readonly unlessReferenceSha256?: string;
}

/** One closed live window's result, before the service stores it as a DriftEvent. */
export interface LiveWindowResult {
  readonly detector: string;
  readonly detectorVersion: number;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly windowStartUnixMs: number;
  readonly windowEndUnixMs: number;
  readonly events: number;
  readonly rows: number;
  readonly requestIds: readonly string[];
  readonly requestIdCount: number;
  readonly closedBy: WindowClosedBy;
  /** When the window closed (ms since the epoch), for the close-to-export latency. */
  readonly closedAtMs: number;
  readonly verdict: DriftVerdict;
  /** A window merged from replicas' shares: shares merged and expected. */
  readonly shares?: { readonly merged: number; readonly expected: number };
}

/** The engine's limits, from the service's settings. */
export interface EngineLimits {
  readonly maxReferenceRows: number;
  readonly maxRequestIdsPerEvent: number;
  readonly checkpointIntervalMs: number;
}

/** The detector machinery the data plane drives. */
export interface DriftEngine {
  /** Loads saved versions: the newest per detector, and those refused. */
  load(names: readonly string[]): Promise<{ fitted: Map<string, FittedInfo>; refused: RefusedVersion[] }>;
  /**
   * Fits `spec` on `reference` and saves the result as the detector's next version; returns
   * it with the inputs the reference had.
   * @throws InvalidArgumentError for bad data (naming column and row) or too few rows
   *   (stating the minimum).
   */
  fit(
    spec: DetectorSpec,
    reference: ReferenceInput,
    provenance: FitProvenance,
    budget?: OnlineBudget,
  ): Promise<FittedInfo & { readonly inputs: readonly InputSpec[]; readonly unchanged?: boolean }>;
  /**
   * Online kinds: feeds the batch's rows in order to the detector's window (`addRows`), or
   * scores each as the next row without adding it.
   * @throws FailedPreconditionError for an offline kind; InvalidArgumentError for a bad batch.
   */
  predictOnline(name: string, tensors: readonly Tensor[], addRows: boolean): DriftVerdict;
  /** Online kinds: Alibi's reset_state. @throws FailedPreconditionError for an offline kind. */
  resetOnline(name: string): void;
  /** Online kinds: rows seen since the fit or the last reset; undefined for other kinds. */
  onlineTime(name: string): number | undefined;
  /**
   * Online kinds: new thresholds on the saved reference (a new ert or seed), saved as the next
   * version; the window starts again at t = 0.
   */
  refitOnline(
    name: string,
    ert: number | undefined,
    seed: number | undefined,
    budget: OnlineBudget,
  ): Promise<FittedInfo & { readonly threshold: number }>;
  /**
   * Scores a batch against the fitted version in use (on a scoring thread when the service
   * has them).
   * @throws InvalidArgumentError for a batch that does not match the fit; ResourceExhaustedError
   *   when the scoring queue is full (--max-pending-scores); InternalError when the scoring
   *   thread died running it.
   */
  score(
    name: string,
    tensors: readonly Tensor[],
    options: { readonly perFeature: boolean },
  ): Promise<DriftVerdict>;
  /** Every saved version's lineage, newest first. */
  versions(name: string): Promise<VersionLineage[]>;
  /** Deletes every saved version and drops its live state. */
  delete(name: string): Promise<void>;
  /** Starts (or replaces) live windows of `name` over `selection`. */
  attach(name: string, selection: EventSelection, window: WindowSettings): void;
  /** Stops live windows of `name`; the open window is dropped. */
  detach(name: string): void;
  /** Routes live events to the attached detectors' windows (closed windows are reported). */
  offer(events: readonly InferenceEvent[]): void;
  /** Closes windows whose time is up (called on a timer). */
  tick(): void;
  /**
   * Folds a replica's window share in (the merging replica, --replicas N). `share` reads the
   * request: called only on a merger, so a non-merger answers that before any check of it.
   * @throws FailedPreconditionError when this service is not a merger.
   */
  mergeWindowShare(share: () => WindowShare): ShareOutcome;
  /** Reopens the open windows checkpointed by the last run (after re-attaching at start). */
  restoreWindows(): Promise<void>;
  /**
   * Scores stored events of a range window by window, yielding progress and verdicts.
   * @throws FailedPreconditionError when not fitted.
   */
  history(
    name: string,
    reader: EventReader,
    request: { fromUnixMs: number; toUnixMs: number; selection: EventSelection; window: WindowSettings },
    cancellation: Cancellation,
  ): AsyncIterable<HistoryItem>;
  /** Saves open windows (periodically and at shutdown). */
  checkpoint(): Promise<void>;
  /** Resolves once every closed live window being scored (off the event loop) is reported. */
  settled(): Promise<void>;
}

/** What the engine tells the data plane while it runs. */
export interface EngineListener {
  windowClosed(result: LiveWindowResult): void;
  unreadable(detector: string, reason: string, count: number): void;
  windowDropped(detector: string, reason: string): void;
}
