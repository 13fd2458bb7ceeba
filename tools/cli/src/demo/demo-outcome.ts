/**
 * What the demo found (printed by demo-view.ts, asserted by the end-to-end test), and the
 * phases its rows are marked with.
 */
import type { TrafficRow } from './demo-data.js';

/** The request parameter (and metrics segment) that says which phase a row belongs to. */
export const PHASE_PARAMETER = 'phase';
export const PHASES = ['before-drift', 'after-drift'] as const;
export type Phase = (typeof PHASES)[number];

/** What one replayed request answered. */
export interface ReplayedRow {
  readonly row: TrafficRow;
  readonly requestId: string;
  /** The live model's class index. */
  readonly predicted: number;
  /** The sync detector's verdict; undefined when the graph skipped it (soft, not answering). */
  readonly flagged: boolean | undefined;
  readonly traceId: string | undefined;
}

/** One drift window as the drift service closed it. */
export interface DemoDriftWindow {
  readonly index: number;
  readonly rows: number;
  readonly drift: boolean;
  /** The smallest per-feature p-value. */
  readonly pValue: number | undefined;
}

/** Accuracy and CBPE of one phase. */
export interface PhaseMetrics {
  readonly phase: Phase;
  readonly predictions: number;
  /** CBPE's expected accuracy read before any label was sent. */
  readonly estimateBeforeLabels: number | undefined;
  /** Labelled rows when the estimate was read (0: it came before the labels). */
  readonly pairsAtEstimate: number;
  readonly pairs: number;
  /** Realised accuracy on the labelled rows. */
  readonly accuracy: number | undefined;
}

/** Everything the demo found; a part it could not get has its reason in `problems`. */
export interface DemoOutcome {
  readonly runId: string;
  readonly rows: number;
  readonly driftStart: number;
  readonly windowRows: number;
  readonly replayMs: number;
  readonly drift: {
    readonly windows: readonly DemoDriftWindow[];
    readonly firstDriftWindow: number | undefined;
    readonly expectedFirstDriftWindow: number;
  };
  readonly outliers: {
    readonly planted: readonly number[];
    /** Rows the detector answered for (the others were skipped). */
    readonly checked: number;
    readonly flaggedPlanted: number;
    readonly recall: number;
    /** Before the drift: planted among the flagged. */
    readonly flaggedBeforeDrift: number;
    readonly precisionBeforeDrift: number;
    /** After the drift the shifted flowers are unusual too: how many were flagged. */
    readonly flaggedAfterDrift: number;
  };
  readonly metrics: readonly PhaseMetrics[];
  readonly shadow?: {
    readonly model: string;
    readonly baselineVersion: string;
    readonly candidateVersion: string;
    /** The shadow node the candidate's answers are kept under. */
    readonly candidateNode: string;
    readonly metric: string;
    readonly pairs: number;
    readonly baselineValue: number;
    readonly candidateValue: number;
    readonly difference: number;
    readonly pValue: number;
    readonly verdict: string;
  };
  readonly explanation?: {
    readonly row: number;
    readonly features: readonly number[];
    readonly predictedClass: string;
    readonly attributions: readonly { readonly feature: string; readonly value: number }[];
  };
  readonly trace?: { readonly traceId: string; readonly spans: number; readonly services: readonly string[] };
  readonly problems: readonly string[];
}

/** What the scenario reports while it runs. */
export interface DemoHooks {
  /** A step begins (one line). */
  readonly onStep?: (line: string) => void;
  /** Rows replayed so far. */
  readonly onReplayed?: (done: number, total: number) => void;
  /** Aborted by Ctrl-C: the demo sends nothing more and rejects with its reason. */
  readonly signal?: AbortSignal;
}
