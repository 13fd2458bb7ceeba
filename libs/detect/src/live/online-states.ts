/**
 * The running state of online detectors: per detector, the window's rows and the time t of its
 * fitted version, apart from the immutable fitted version itself. Predict and the live stream
 * feed rows here; a reset (Alibi's `reset_state`) or a new fitted version starts again at
 * t = 0. The state is checkpointed and restored by the same rule as open live windows (a
 * file written atomically every checkpoint interval and at a graceful stop).
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { DriftKernels, OnlineDetector, OnlineStateJson } from '../kernels.js';
import type { FittedState } from '../kinds/detector-kind.js';
import type { DriftResult } from '../kinds/drift-result.js';
import { isOnlineKind, onlineDetectorOf, runOnline } from '../kinds/online-kinds.js';
import { type FeatureTable, requireFinite, requireSchema } from '../table/feature-table.js';

/** The format version of {@link OnlineCheckpoint}. */
export const ONLINE_CHECKPOINT_SCHEMA_VERSION = 1;

/** Every online detector's running state, for a restart. */
export interface OnlineCheckpoint {
  readonly schemaVersion: number;
  readonly detectors: readonly {
    readonly name: string;
    /** The fitted version the state belongs to. */
    readonly version: number;
    readonly state: OnlineStateJson;
  }[];
}

interface Running {
  readonly version: number;
  readonly detector: OnlineDetector;
}

/** Online detectors' running windows, by detector name. */
export class OnlineStates {
  private readonly running = new Map<string, Running>();

  constructor(private readonly kernels: DriftKernels) {}

  /**
   * Feeds `table`'s rows, in order, to `name`'s window (version `version` of `state`) and
   * returns every row's verdict.
   * @throws InvalidArgumentError for other columns than the fit's or a non-finite cell.
   */
  predict(name: string, version: number, state: FittedState, table: FeatureTable): DriftResult {
    const detector = this.detector(name, version, state, table);
    return runOnline(detector, state, table, true);
  }

  /** Each row's statistic as if it were the next one, leaving the window as it is. */
  score(name: string, version: number, state: FittedState, table: FeatureTable): DriftResult {
    const detector = this.detector(name, version, state, table);
    return runOnline(detector, state, table, false);
  }

  /** Alibi's `reset_state`: `name`'s window emptied and t = 0 (the thresholds stay). */
  reset(name: string, version: number, state: FittedState): void {
    this.detector(name, version, state).resetState();
  }

  /** Rows seen by `name` since its fit or last reset (0 when it has no running state). */
  time(name: string, version: number): number {
    const running = this.running.get(name);
    return running && running.version === version ? running.detector.time : 0;
  }

  /** Forgets `name` (deleted, or refitted: its next use starts at t = 0). */
  drop(name: string): void {
    this.running.delete(name);
  }

  /** Every running state. */
  checkpoint(): OnlineCheckpoint {
    return {
      schemaVersion: ONLINE_CHECKPOINT_SCHEMA_VERSION,
      detectors: [...this.running].map(([name, r]) => ({
        name,
        version: r.version,
        state: r.detector.stateJson(),
      })),
    };
  }

  /**
   * Restores the states of `checkpoint` whose detector still has that version; the others are
   * dropped (their detector was deleted or refitted), named in the result.
   */
  restore(
    checkpoint: OnlineCheckpoint,
    fittedOf: (name: string) => { version: number; state: FittedState } | undefined,
  ): { restored: string[]; dropped: { name: string; reason: string }[] } {
    const restored: string[] = [];
    const dropped: { name: string; reason: string }[] = [];
    if (checkpoint.schemaVersion !== ONLINE_CHECKPOINT_SCHEMA_VERSION) {
      return {
        restored,
        dropped: checkpoint.detectors.map((d) => ({
          name: d.name,
          reason: `schema version ${checkpoint.schemaVersion}`,
        })),
      };
    }
    for (const saved of checkpoint.detectors) {
      const fitted = fittedOf(saved.name);
      if (!fitted || fitted.version !== saved.version || !isOnlineKind(fitted.state.kind)) {
        dropped.push({ name: saved.name, reason: 'the detector was deleted or refitted since' });
        continue;
      }
      try {
        const detector = onlineDetectorOf(this.kernels, fitted.state);
        detector.restoreState(saved.state);
        this.running.set(saved.name, { version: saved.version, detector });
        restored.push(saved.name);
      } catch (error) {
        dropped.push({ name: saved.name, reason: (error as Error).message });
      }
    }
    return { restored, dropped };
  }

  private detector(name: string, version: number, state: FittedState, table?: FeatureTable): OnlineDetector {
    if (!isOnlineKind(state.kind)) {
      throw new InvalidArgumentError(`detector ${quoteName(name)}: kind ${state.kind} keeps no online state`);
    }
    if (table) {
      requireSchema(table, state.schema);
      requireFinite(table);
    }
    const running = this.running.get(name);
    if (running && running.version === version) return running.detector;
    const detector = onlineDetectorOf(this.kernels, state);
    this.running.set(name, { version, detector });
    return detector;
  }
}
