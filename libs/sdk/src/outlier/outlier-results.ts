/**
 * What the outlier service answers, in plain TypeScript: detectors with their threshold and
 * lineage, scores and verdicts per row (and per feature where the kind has them), training
 * progress, history pages and outlier events. Counts are numbers, times Dates, scores plain
 * arrays; only the decoders in this file read the generated messages.
 */
import { outlierV1 } from '@sightline/contracts';
import { countsByReason } from '../data/detector-calls.js';
import { type EventSelector, selectorOf } from '../data/event-selector.js';
import { type InputSpec, inputSpecOf } from '../data/input-spec.js';
import {
  type OutlierDetectorSettings,
  type OutlierKind,
  outlierSettingsOfConfig,
} from './outlier-settings.js';

/** An autoencoder training's progress (after an epoch), or its summary in a lineage. */
export interface TrainingProgress {
  /** Epochs finished. */
  readonly epoch: number;
  /** Epochs asked for. */
  readonly epochs: number;
  /** The mean training loss (squared reconstruction error) over the last epoch. */
  readonly loss: number;
  /** Seconds since the training started. */
  readonly elapsedSeconds: number;
  /** The TF.js backend training it (`tfjs-node-gpu`, `tfjs-node`, `tfjs-wasm`, `tfjs-cpu`). */
  readonly backend: string;
}

/** Where a fitted version came from: enough to reproduce and audit its verdicts. */
export interface OutlierLineage {
  /** The detector's name. */
  readonly name: string;
  /** The version, from 1. */
  readonly version: number;
  /** The kind as Alibi Detect names it (`IForest`, `Mahalanobis`, `OutlierAE`). */
  readonly kindName: string;
  /** The settings as fitted, defaults filled in. */
  readonly settings: OutlierDetectorSettings;
  /** SHA-256 of the reference data as saved, lower-case hex. */
  readonly referenceSha256: string;
  /** Rows in the reference data. */
  readonly referenceRows: number;
  /** The features' names, in order. */
  readonly featureNames: readonly string[];
  /** When this version was fitted. */
  readonly createTime: Date | undefined;
  /** The Sightline version that fitted it. */
  readonly sightlineVersion: string;
  /** Who fitted it (the CLI sends the OS user). */
  readonly creator: string;
  /** Where the reference came from (a file path, or the events' selector and range). */
  readonly referenceSource: string;
  /** The seed used for sampling, starts or initialisation. */
  readonly seed: bigint;
  /** The autoencoder's training (epochs run, final loss, seconds, backend); undefined otherwise. */
  readonly training: TrainingProgress | undefined;
  /** Events of a stored reference range left out, per reason; empty when every event was used. */
  readonly referenceSkippedEvents: Readonly<Record<string, number>>;
}

/** Where a detector is in its life cycle. */
export type OutlierDetectorState = 'created' | 'fitted' | 'threshold-set';

/** Where a threshold came from: the config, the fit's percentile, InferThreshold; '' while unset. */
export type ThresholdSource = 'config' | 'fit_percentile' | 'infer_threshold' | '';

/** A detector as the service keeps it. */
export interface OutlierDetector {
  /** The name. */
  readonly name: string;
  /** The kind and settings, defaults filled in. */
  readonly settings: OutlierDetectorSettings;
  /** Its kind (`settings.kind`). */
  readonly kind: OutlierKind;
  /** `created` until the first fit, `fitted` without a threshold, then `threshold-set`. */
  readonly state: OutlierDetectorState;
  /** The saved-detector format version. */
  readonly schemaVersion: number;
  /** The threshold in use (an instance score above it is an outlier); undefined until set. */
  readonly threshold: number | undefined;
  /** Where the threshold came from. */
  readonly thresholdSource: ThresholdSource;
  /** The percentile the threshold was inferred at, when it was. */
  readonly thresholdPercentile: number | undefined;
  /** The reference data's inputs, recorded by the fit. */
  readonly inputs: readonly InputSpec[];
  /** Features after flattening (per-row elements over every input). */
  readonly featureCount: number;
  /** The features' names, in order. */
  readonly featureNames: readonly string[];
  /** Rows in the reference data. */
  readonly referenceRows: number;
  /** The live events it scores, as created or attached; undefined: none. */
  readonly live: EventSelector | undefined;
  /** Whether it scores the live event stream now. */
  readonly attached: boolean;
  /** Labels, copied onto its metrics. */
  readonly labels: Readonly<Record<string, string>>;
  /** When it was created. */
  readonly createTime: Date | undefined;
  /** When it was last fitted; undefined before. */
  readonly fitTime: Date | undefined;
  /** The Sightline version that last fitted or calibrated it. */
  readonly producerVersion: string;
  /** The version in use (the newest fit), 0 before the first fit. */
  readonly version: number;
  /** The version in use's lineage; undefined before the first fit. */
  readonly lineage: OutlierLineage | undefined;
  /** Mahalanobis with updates: rows in the running statistics; 0 for the other kinds. */
  readonly runningRows: number;
}

/** A detector and every saved version's lineage, newest first (GetDetector). */
export interface OutlierDetectorDetails {
  /** The detector. */
  readonly detector: OutlierDetector;
  /** Newest first. */
  readonly versions: readonly OutlierLineage[];
}

/** What `score` answers: scores without a verdict. */
export interface OutlierScores {
  /** One score per row, in row order; higher is more outlying. */
  readonly instanceScores: readonly number[];
  /** Per row, each feature's score (the autoencoder); empty for kinds without them. */
  readonly featureScores: readonly (readonly number[])[];
  /** The threshold in use; undefined before one is set. */
  readonly threshold: number | undefined;
}

/** Alibi Detect's `meta`: what answered. */
export interface OutlierMeta {
  /** The detector's name. */
  readonly name: string;
  /** The kind as Alibi names it (`IForest`, `Mahalanobis`, `OutlierAE`). */
  readonly kindName: string;
  /** Always `outlier`. */
  readonly detectorType: string;
  /** Whether the detector learns from what it scores (Mahalanobis with updateOnPredict). */
  readonly online: boolean;
  /** The data's type; `tabular` for now. */
  readonly dataType: string;
  /** The saved-detector schema version that answered. */
  readonly schemaVersion: number;
  /** The fitted version that answered. */
  readonly version: number;
}

/** A verdict: Alibi Detect's `data` for an outlier detector. */
export interface OutlierVerdict {
  /** Per row, whether its score is above the threshold. */
  readonly isOutlier: readonly boolean[];
  /** Per row, its score; empty when not asked for. */
  readonly instanceScores: readonly number[];
  /** The threshold the scores were compared with. */
  readonly threshold: number;
  /** Per row, each feature's score (kinds that have them); empty otherwise. */
  readonly featureScores: readonly (readonly number[])[];
}

/** What `predict` answers: Alibi Detect's `{ meta, data }`. */
export interface OutlierPrediction {
  /** What answered. */
  readonly meta: OutlierMeta;
  /** The verdict. */
  readonly data: OutlierVerdict;
}

/** One item of `fitWithProgress`: a training's progress, then the fitted detector last. */
export type FitProgressItem =
  | { readonly kind: 'progress'; readonly progress: TrainingProgress }
  | { readonly kind: 'fitted'; readonly detector: OutlierDetector };

/** How far a history scan is. */
export interface OutlierHistoryProgress {
  /** Events read so far, matching or not. */
  readonly eventsRead: number;
  /** Events that matched the selector and were scored. */
  readonly eventsScored: number;
  /** Events skipped as unreadable, by reason. */
  readonly eventsSkipped: Readonly<Record<string, number>>;
  /** The time of the last event read. */
  readonly positionTime: Date | undefined;
  /** Events with at least one outlier row, so far. */
  readonly outlierEvents: number;
}

/** The verdict on one stored event. */
export interface OutlierEventVerdict {
  /** The event's request id. */
  readonly requestId: string;
  /** When the event happened. */
  readonly eventTime: Date | undefined;
  /** The model (or graph) that answered it. */
  readonly modelName: string;
  /** The version that answered it. */
  readonly modelVersion: string;
  /** Per row of the event, whether it is an outlier. */
  readonly isOutlier: readonly boolean[];
  /** Per row of the event, its score. */
  readonly instanceScores: readonly number[];
  /** The event's W3C trace id; empty when it had none. */
  readonly traceId: string;
}

/** One page of `scoreHistory`: verdicts, progress or both. */
export interface OutlierHistoryPage {
  /** Verdicts for the events of this page, in event time order (may be empty). */
  readonly verdicts: readonly OutlierEventVerdict[];
  /** Events skipped so far (wrong tensors or width). */
  readonly skippedEvents: number;
  /** The scan's progress after this page; undefined when the service sent none. */
  readonly progress: OutlierHistoryProgress | undefined;
}

/** A stored verdict on one live inference event (ListOutlierEvents). */
export interface OutlierEventRecord {
  /** A unique id (the CloudEvent id). */
  readonly eventId: string;
  /** The detector's name. */
  readonly detector: string;
  /** The fitted version that scored the event. */
  readonly detectorVersion: number;
  /** The scored inference event's request id. */
  readonly requestId: string;
  /** Its W3C trace id; empty when it had none. */
  readonly traceId: string;
  /** The model that answered it. */
  readonly modelName: string;
  /** The version that answered it. */
  readonly modelVersion: string;
  /** The router's graph, when the event came through one. */
  readonly graph: string;
  /** When the inference event happened. */
  readonly eventTime: Date | undefined;
  /** When it was scored. */
  readonly time: Date | undefined;
  /** Whether any row of the event is an outlier. */
  readonly isOutlier: boolean;
  /** The highest row score. */
  readonly score: number;
  /** The threshold the scores were compared with. */
  readonly threshold: number;
  /** Per row, whether it is an outlier. */
  readonly rowIsOutlier: readonly boolean[];
  /** Per row, its score. */
  readonly rowScores: readonly number[];
}

/** A training progress from its message. */
export function trainingProgressOf(message: outlierV1.TrainingProgress): TrainingProgress {
  return {
    epoch: message.epoch,
    epochs: message.epochs,
    loss: message.loss,
    elapsedSeconds: message.elapsedSeconds,
    backend: message.backend,
  };
}

/** A lineage from its message. */
export function outlierLineageOf(message: outlierV1.DetectorLineage): OutlierLineage {
  return {
    name: message.name,
    version: message.version,
    kindName: message.kind,
    settings: outlierSettingsOfConfig(message.config),
    referenceSha256: message.referenceSha256,
    referenceRows: Number(message.referenceRows),
    featureNames: [...message.featureNames],
    createTime: message.createTime,
    sightlineVersion: message.sightlineVersion,
    creator: message.creator,
    referenceSource: message.referenceSource,
    seed: message.seed,
    training: message.training === undefined ? undefined : trainingProgressOf(message.training),
    referenceSkippedEvents: countsByReason(message.referenceSkippedEvents),
  };
}

const STATES: Readonly<Record<number, OutlierDetectorState>> = {
  [outlierV1.DetectorState.DETECTOR_STATE_FITTED]: 'fitted',
  [outlierV1.DetectorState.DETECTOR_STATE_THRESHOLD_SET]: 'threshold-set',
};

const THRESHOLD_SOURCES: ReadonlySet<string> = new Set(['config', 'fit_percentile', 'infer_threshold']);

/** A detector from its message (an absent one, a protocol break, reads as an empty detector). */
export function outlierDetectorOf(message: outlierV1.Detector | undefined): OutlierDetector {
  const m = message ?? ({} as Partial<outlierV1.Detector>);
  const settings = outlierSettingsOfConfig(m.config);
  const source = m.thresholdSource ?? '';
  return {
    name: m.name ?? '',
    settings,
    kind: settings.kind,
    state: STATES[m.state ?? 0] ?? 'created',
    schemaVersion: m.schemaVersion ?? 0,
    threshold: m.threshold,
    thresholdSource: (THRESHOLD_SOURCES.has(source) ? source : '') as ThresholdSource,
    thresholdPercentile: m.thresholdPercentile,
    inputs: (m.inputs ?? []).map(inputSpecOf),
    featureCount: m.featureCount ?? 0,
    featureNames: [...(m.featureNames ?? [])],
    referenceRows: Number(m.referenceRows ?? 0n),
    live: m.live === undefined || m.live.modelName === '' ? undefined : selectorOf(m.live),
    attached: m.attached ?? false,
    labels: { ...(m.labels ?? {}) },
    createTime: m.createTime,
    fitTime: m.fitTime,
    producerVersion: m.producerVersion ?? '',
    version: m.version ?? 0,
    lineage: m.lineage === undefined ? undefined : outlierLineageOf(m.lineage),
    runningRows: Number(m.runningRows ?? 0n),
  };
}

function featureScoresOf(rows: readonly outlierV1.FeatureScores[]): number[][] {
  return rows.map((row) => [...row.score]);
}

/** Score's answer. */
export function outlierScoresOf(message: outlierV1.ScoreResponse): OutlierScores {
  return {
    instanceScores: [...message.instanceScore],
    featureScores: featureScoresOf(message.featureScore),
    threshold: message.threshold,
  };
}

/** Predict's answer. */
export function outlierPredictionOf(message: outlierV1.PredictResponse): OutlierPrediction {
  const meta = message.meta;
  const data = message.data;
  return {
    meta: {
      name: meta?.name ?? '',
      kindName: meta?.kind ?? '',
      detectorType: meta?.detectorType ?? '',
      online: meta?.online ?? false,
      dataType: meta?.dataType ?? '',
      schemaVersion: meta?.schemaVersion ?? 0,
      version: meta?.version ?? 0,
    },
    data: {
      isOutlier: [...(data?.isOutlier ?? [])],
      instanceScores: [...(data?.instanceScore ?? [])],
      threshold: data?.threshold ?? 0,
      featureScores: featureScoresOf(data?.featureScore ?? []),
    },
  };
}

/** One FitWithProgress message as an item; undefined for a message with neither part. */
export function fitProgressItemOf(message: outlierV1.FitWithProgressResponse): FitProgressItem | undefined {
  if (message.detector !== undefined)
    return { kind: 'fitted', detector: outlierDetectorOf(message.detector) };
  if (message.progress !== undefined)
    return { kind: 'progress', progress: trainingProgressOf(message.progress) };
  return undefined;
}

function historyProgressOf(message: outlierV1.HistoryProgress): OutlierHistoryProgress {
  return {
    eventsRead: Number(message.eventsRead),
    eventsScored: Number(message.eventsScored),
    eventsSkipped: countsByReason(message.eventsSkipped),
    positionTime: message.positionTime,
    outlierEvents: Number(message.outlierEvents),
  };
}

/** One ScoreHistory message as a page. */
export function historyPageOf(message: outlierV1.ScoreHistoryResponse): OutlierHistoryPage {
  return {
    verdicts: message.verdicts.map((v) => ({
      requestId: v.requestId,
      eventTime: v.eventTime,
      modelName: v.modelName,
      modelVersion: v.modelVersion,
      isOutlier: [...v.isOutlier],
      instanceScores: [...v.instanceScore],
      traceId: v.traceId,
    })),
    skippedEvents: Number(message.skippedEvents),
    progress: message.progress === undefined ? undefined : historyProgressOf(message.progress),
  };
}

/** An outlier event from its message. */
export function outlierEventOf(message: outlierV1.OutlierEvent): OutlierEventRecord {
  return {
    eventId: message.eventId,
    detector: message.detector,
    detectorVersion: message.detectorVersion,
    requestId: message.requestId,
    traceId: message.traceId,
    modelName: message.modelName,
    modelVersion: message.modelVersion,
    graph: message.graph,
    eventTime: message.eventTime,
    time: message.time,
    isOutlier: message.isOutlier,
    score: message.score,
    threshold: message.threshold,
    rowIsOutlier: [...message.rowIsOutlier],
    rowScores: [...message.rowScore],
  };
}
