/**
 * The drift data plane's inputs and outputs in plain TypeScript (typed arrays for tensors,
 * ms since the epoch for instants): what every transport converts its messages to and
 * from. No generated protobuf type appears here.
 */
import { DRIFT_KIND_NAMES, type EventSelector } from '@sightline/detect';
import type { Tensor } from '@sightline/tensor';
import type { DriftVerdict, WindowClosedBy } from '../results/drift-event.js';

/** The drift kinds this service fits: libs/detect's, which it scores with. */
export const DRIFT_KINDS = DRIFT_KIND_NAMES;
/** A drift kind's name. */
export type DriftKindName = (typeof DRIFT_KINDS)[number];

/** Alibi Detect's name of each kind (DetectorMeta.kind). */
export const ALIBI_KIND_NAMES: Readonly<Record<DriftKindName, string>> = {
  tabular: 'TabularDrift',
  ks: 'KSDrift',
  cvm: 'CVMDrift',
  chi2: 'ChiSquareDrift',
  mmd: 'MMDDrift',
  lsdd: 'LSDDDrift',
  quality: 'QualityDrift',
  pca: 'PCADrift',
  'online-mmd': 'MMDDriftOnline',
  'online-cvm': 'CVMDriftOnline',
};

/** Which live or stored events a detector reads, and which of their tensors (libs/detect's selector). */
export type EventSelection = EventSelector;

/** When a window closes and how windows follow each other. */
export interface WindowSettings {
  readonly maxRows: number;
  readonly maxDurationMs: number;
  readonly minRows: number;
  readonly mode: 'tumbling' | 'sliding';
  readonly slideRows: number;
  /**
   * Tumbling: rows held raw before the window is summarised (BatchWindow.exact_rows); absent
   * in settings saved before it existed (the default applies).
   */
  readonly exactRows?: number;
  /** Tumbling: windows start at multiples of maxDurationMs (BatchWindow.aligned). */
  readonly aligned?: boolean;
}

/** Window defaults (contract: BatchWindow). */
export const DEFAULT_WINDOW: WindowSettings = Object.freeze({
  maxRows: 1000,
  maxDurationMs: 3_600_000,
  minRows: 30,
  mode: 'tumbling',
  slideRows: 500,
});

/** An alert on an effect size instead of p-values. */
export interface EffectSizeAlertSpec {
  readonly metric: 'psi' | 'jensenShannon' | 'wasserstein' | 'hellinger';
  readonly above: number;
}

/** What CreateDetector asks for. */
export interface DetectorSpec {
  readonly name: string;
  readonly kind: DriftKindName;
  /** The kind's parameters as detect's kinds name them (pVal, correction, method ...). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly effectSizeAlert?: EffectSizeAlertSpec;
  readonly live?: EventSelection;
  readonly liveWindow?: Partial<WindowSettings>;
  readonly labels: Readonly<Record<string, string>>;
  readonly categoricalFeatures: readonly string[];
  /** Refit from stored events on a schedule (DriftDetectorConfig.trailing_reference). */
  readonly trailingReference?: TrailingReferenceSpec;
}

/** A reference trailing the stream, refitted on a schedule. */
export interface TrailingReferenceSpec {
  /** The stored events to read; absent: the detector's live selector. */
  readonly selection?: EventSelection;
  /** The reference ends this long before now. */
  readonly offsetMs: number;
  readonly lengthMs: number;
  /** How often the reference moves (default: lengthMs). */
  readonly refitIntervalMs: number;
  /** Fewest rows a refit takes (0: the kind's minimum). */
  readonly minRows: number;
}

/** The signature of one input a detector was fitted on. */
export interface InputSpec {
  readonly name: string;
  readonly datatype: string;
  readonly rowShape: readonly number[];
}

/** Where a fitted version came from. */
export interface VersionLineage {
  readonly name: string;
  readonly version: number;
  readonly kind: DriftKindName;
  /** The parameters with defaults filled in, as fitted. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly referenceSha256: string;
  readonly referenceRows: number;
  readonly featureNames: readonly string[];
  readonly featureTypes: readonly ('numeric' | 'categorical')[];
  readonly createTimeMs: number;
  readonly sightlineVersion: string;
  readonly creator: string;
  readonly referenceSource: string;
  readonly seed: number;
  /** Events of a stored reference range not used, per reason ("width N": N elements per row). */
  readonly referenceSkippedEvents: Readonly<Record<string, number>>;
}

/** A detector as GetDetector shows it. */
export interface DetectorView {
  readonly name: string;
  readonly kind: DriftKindName;
  /** The kind's parameters, defaults filled in once fitted. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly effectSizeAlert?: EffectSizeAlertSpec;
  readonly state: 'created' | 'fitted';
  readonly schemaVersion: number;
  readonly inputs: readonly InputSpec[];
  readonly featureCount: number;
  readonly referenceRows: number;
  readonly live?: EventSelection;
  readonly liveWindow?: WindowSettings;
  readonly labels: Readonly<Record<string, string>>;
  readonly createTimeMs: number;
  readonly fitTimeMs?: number;
  readonly producerVersion: string;
  /** 0 before the first fit. */
  readonly version: number;
  readonly lineage?: VersionLineage;
  readonly categoricalFeatures: readonly string[];
  readonly attached: boolean;
  readonly trailingReference?: TrailingReferenceSpec;
  /** Online kinds: rows seen since the fit or the last reset. */
  readonly time?: number;
}

/** Reference data for Fit: tensors, or stored events of a time range. */
export interface FitInput {
  readonly name: string;
  readonly data?: readonly Tensor[];
  readonly referenceEvents?: {
    readonly fromUnixMs: number;
    readonly toUnixMs: number;
    readonly selection: EventSelection;
  };
  /** Fewest reference rows (a trailing reference's min_rows); fewer is INVALID_ARGUMENT. */
  readonly minRows?: number;
  readonly creator: string;
  readonly referenceSource: string;
  /** A scheduled refit: save nothing when the reference's SHA-256 is this (the newest version's). */
  readonly unlessReferenceSha256?: string;
}

/** Predict's options (Alibi's drift_type, return_p_val, return_distance). */
export interface PredictOptions {
  readonly driftType: 'batch' | 'feature';
  readonly returnPValue: boolean;
  readonly returnDistance: boolean;
}

/** Predict's answer: Alibi's `{meta, data}`. */
export interface PredictOutcome {
  readonly meta: {
    readonly name: string;
    readonly kind: string;
    readonly online: boolean;
    readonly schemaVersion: number;
  };
  readonly verdict: DriftVerdict;
}

/** ScoreHistory's input. */
export interface HistoryInput {
  readonly name: string;
  readonly fromUnixMs: number;
  readonly toUnixMs: number;
  readonly selection: EventSelection;
  readonly window?: Partial<WindowSettings>;
}

/** How far a history scan is. */
export interface HistoryProgressView {
  readonly eventsRead: number;
  readonly eventsMatched: number;
  readonly eventsSkipped: Readonly<Record<string, number>>;
  readonly positionUnixMs: number;
  readonly windows: number;
}

/** One message of ScoreHistory's stream. */
export interface HistoryItem {
  readonly windowStartUnixMs?: number;
  readonly windowEndUnixMs?: number;
  readonly events: number;
  readonly rows: number;
  /** Unset on a progress message. */
  readonly verdict?: DriftVerdict;
  /** Why the window closed (windows only). */
  readonly closedBy?: WindowClosedBy;
  /** The window's request ids, up to the service's limit (windows only). */
  readonly requestIds?: readonly string[];
  readonly progress: HistoryProgressView;
}
