/**
 * The outlier service's domain in plain TypeScript: what a detector is (spec, record,
 * view, lineage), a verdict, an OutlierEvent. `contract/outlier-messages.ts` maps them to
 * outlier.proto; nothing here knows gRPC or generated types.
 */
import type { EventSelector, FitProgress, OutlierKindName } from '@sightline/detect';

/** Where a detector's threshold came from (contract: Detector.threshold_source). */
export type ThresholdSource = 'config' | 'fit_percentile' | 'infer_threshold';

/** How the threshold is set, as the config says (at most one of the three). */
export interface ThresholdSettings {
  /** A fixed threshold on the instance score. */
  readonly threshold?: number;
  /** Fit sets the threshold at this percentile of the reference's own scores. */
  readonly thresholdPercentile?: number;
  /** Isolation forest: the same as thresholdPercentile 100 (1 - contamination). */
  readonly contamination?: number;
}

/** What CreateDetector is given, checked. */
export interface DetectorSpec {
  readonly name: string;
  readonly kind: OutlierKindName;
  /** The kind's parameters as set (camelCase of the config's fields; unset ones absent). */
  readonly params: Readonly<Record<string, unknown>>;
  readonly thresholdSettings: ThresholdSettings;
  /** Mahalanobis: update the running statistics with the inlier rows of every Predict. */
  readonly updateOnPredict: boolean;
  /** Mahalanobis: update them with the inlier rows of the live stream. */
  readonly updateFromLive: boolean;
  /** The live selector as created; undefined: scored only on request until attached with one. */
  readonly live?: EventSelector;
  readonly labels: Readonly<Record<string, string>>;
}

/** One input tensor of a fit's reference data (contract TensorSpec). */
export interface InputSpec {
  readonly name: string;
  readonly datatype: string;
  /** The shape after the row dimension. */
  readonly rowShape: readonly number[];
}

/** The threshold in force and where it came from. */
export interface ThresholdState {
  readonly value: number;
  readonly source: ThresholdSource;
  /** The percentile it was set at (fit_percentile, infer_threshold). */
  readonly percentile?: number;
}

/** Where a fitted version came from (contract DetectorLineage). */
export interface VersionLineage {
  readonly name: string;
  readonly version: number;
  readonly kind: OutlierKindName;
  /** The parameters as fitted, defaults and the drawn seed filled in. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly referenceSha256: string;
  readonly referenceRows: number;
  readonly featureNames: readonly string[];
  readonly createTimeMs: number;
  readonly sightlineVersion: string;
  readonly creator: string;
  readonly referenceSource: string;
  readonly seed: number;
  readonly referenceSkippedEvents: Readonly<Record<string, number>>;
  /** The autoencoder's training, as its last progress said. */
  readonly training?: FitProgress;
}

/** A detector's life-cycle state. */
export type DetectorLifecycle = 'created' | 'fitted' | 'threshold_set';

/** A detector as the RPCs return it. */
export interface DetectorView {
  readonly spec: DetectorSpec;
  readonly state: DetectorLifecycle;
  readonly schemaVersion: number;
  readonly threshold?: ThresholdState;
  readonly inputs: readonly InputSpec[];
  readonly featureNames: readonly string[];
  readonly referenceRows: number;
  readonly attached: boolean;
  /** The selector attached with, or the one created with. */
  readonly live?: EventSelector;
  readonly createTimeMs: number;
  readonly fitTimeMs?: number;
  readonly producerVersion: string;
  /** 0 before the first fit. */
  readonly version: number;
  readonly lineage?: VersionLineage;
  /** Mahalanobis: rows in the running statistics; 0 for the other kinds. */
  readonly runningRows: number;
}

/** Scores of a batch. */
export interface BatchScores {
  readonly version: number;
  readonly instanceScores: Float64Array;
  /** Per row, each feature's score (kinds that have them). */
  readonly featureScores?: readonly Float64Array[];
  readonly threshold?: number;
}

/** Alibi Detect's `meta`. */
export interface DetectorMeta {
  readonly name: string;
  /** As Alibi names the kind (IForest, Mahalanobis, OutlierAE). */
  readonly kind: string;
  readonly online: boolean;
  readonly schemaVersion: number;
  readonly version: number;
}

/** Alibi Detect's `{meta, data}` of an outlier detector. */
export interface Prediction {
  readonly meta: DetectorMeta;
  readonly isOutlier: readonly boolean[];
  /** Empty when not asked for. */
  readonly instanceScores: Float64Array;
  readonly threshold: number;
  /** Empty when not asked for or the kind has none. */
  readonly featureScores: readonly Float64Array[];
}

/** The verdict on one live inference event: stored, counted, sent. */
export interface OutlierEventRecord {
  readonly eventId: string;
  readonly detector: string;
  readonly detectorVersion: number;
  readonly requestId: string;
  readonly traceId: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly graph: string;
  readonly eventTimeUnixMs: number;
  readonly timeUnixMs: number;
  readonly isOutlier: boolean;
  /** The highest row score. */
  readonly score: number;
  readonly threshold: number;
  readonly rowIsOutlier: readonly boolean[];
  readonly rowScore: readonly number[];
}

/** The verdict on one stored event (ScoreHistory). */
export interface EventVerdict {
  readonly requestId: string;
  readonly eventTimeUnixMs: number;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly traceId: string;
  readonly isOutlier: readonly boolean[];
  readonly instanceScores: readonly number[];
}

/** A ScoreHistory scan's progress. */
export interface HistoryScanProgress {
  readonly eventsRead: number;
  readonly eventsScored: number;
  readonly eventsSkipped: Readonly<Record<string, number>>;
  readonly positionTimeUnixMs: number;
  readonly outlierEvents: number;
}

/** One message of ScoreHistory's stream. */
export interface HistoryPage {
  readonly verdicts: readonly EventVerdict[];
  readonly skippedEvents: number;
  readonly progress: HistoryScanProgress;
}

/** A saved detector refused at load, named in the log and the service's status. */
export interface RefusedDetector {
  readonly name: string;
  readonly file: string;
  readonly reason: string;
}
