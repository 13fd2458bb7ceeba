/**
 * What the drift service answers, in plain TypeScript: detectors with their lineage,
 * verdicts and scores per feature with effect sizes, history windows and drift events.
 * Counts are numbers (a window never nears 2^53 rows), times Dates, names as the CLI shows
 * them; only the decoders in this file read the generated messages.
 */
import { driftV1 } from '@sightline/contracts';
import { countsByReason } from '../data/detector-calls.js';
import { type InputSpec, inputSpecOf } from '../data/input-spec.js';
import {
  correctionName,
  type DriftCorrection,
  type DriftDetectorSettings,
  type DriftKind,
  settingsOfConfig,
} from './detector-settings.js';
import {
  type DriftEventSelector,
  type DriftTrailingReference,
  type DriftWindowOptions,
  selectorOf,
  trailingReferenceOf,
  windowOf,
} from './event-selection.js';

/** The signature of one reference input (the shared {@link InputSpec}). */
export type DriftInputSpec = InputSpec;

/** Where a fitted version came from: enough to reproduce and audit it. */
export interface DriftLineage {
  /** The name. */
  readonly name: string;
  /** The version, from 1. */
  readonly version: number;
  /** The kind as Alibi Detect names it (`KSDrift`, `TabularDrift`, ...). */
  readonly kindName: string;
  /** The settings as fitted, defaults filled in. */
  readonly settings: DriftDetectorSettings;
  /** SHA-256 of the reference data as saved, lower-case hex. */
  readonly referenceSha256: string;
  /** Rows in the reference data. */
  readonly referenceRows: number;
  /** The features' names, in order. */
  readonly featureNames: readonly string[];
  /** The features' types, in order: `numeric` or `categorical`. */
  readonly featureTypes: readonly string[];
  /** When it was created. */
  readonly createTime: Date | undefined;
  /** The Sightline version that fitted it. */
  readonly sightlineVersion: string;
  /** Who fitted it (the CLI sends the OS user). */
  readonly creator: string;
  /** Where the reference came from (a file path, or the events' selector and range). */
  readonly referenceSource: string;
  /** The seed of permutations, bootstraps and sampling. */
  readonly seed: bigint;
  /**
   * Events of a stored reference range left out, per reason (`width 3`: events of 3 elements
   * per row where the fit used another width); empty when every event was used.
   */
  readonly referenceSkippedEvents: Readonly<Record<string, number>>;
}

/** A detector as the service keeps it. */
export interface DriftDetector {
  /** The name. */
  readonly name: string;
  /** The kind and settings, defaults filled in. */
  readonly settings: DriftDetectorSettings;
  /** Its kind (`settings.kind`, never unset here). */
  readonly kind: DriftKind;
  /** `created` until the first fit, then `fitted`. */
  readonly state: 'created' | 'fitted';
  /** The saved-detector format version. */
  readonly schemaVersion: number;
  /** The reference data's inputs, recorded by the fit. */
  readonly inputs: readonly DriftInputSpec[];
  /** Features after flattening (per-row elements over every input). */
  readonly featureCount: number;
  /** Rows in the reference data. */
  readonly referenceRows: number;
  /** Online kinds: rows seen since the fit or the last reset. */
  readonly time: number;
  /** The live events it reads, when it has a selection. */
  readonly live: DriftEventSelector | undefined;
  /** Its live windows, when it has them. */
  readonly liveWindow: DriftWindowOptions | undefined;
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
  readonly lineage: DriftLineage | undefined;
  /** Features read as categories, by name. */
  readonly categoricalFeatures: readonly string[];
  /** Whether it tests the live event stream now. */
  readonly attached: boolean;
  /** Its trailing reference, refitted by the service on a schedule; undefined: none. */
  readonly trailingReference: DriftTrailingReference | undefined;
}

/** A detector and every saved version's lineage (GetDetector). */
export interface DriftDetectorDetails {
  /** The detector. */
  readonly detector: DriftDetector;
  /** Newest first. */
  readonly versions: readonly DriftLineage[];
}

/** One feature's effect sizes against the reference. */
export interface DriftEffectSizes {
  /** Population stability index. */
  readonly psi: number;
  /** Jensen-Shannon distance (natural log). */
  readonly jensenShannon: number;
  /** Wasserstein-1 distance in the feature's units; undefined for categorical features. */
  readonly wasserstein: number | undefined;
  /** Hellinger distance. */
  readonly hellinger: number;
}

/** One feature's data-quality counts in a batch (quality kind). */
export interface DriftQualityCounts {
  /** Rows (instances) in it. */
  readonly rows: number;
  /** Missing or non-finite values (NaN, Inf). */
  readonly missing: number;
  /** Values outside the reference's bounds. */
  readonly outOfBounds: number;
  /** Categories never seen at fit. */
  readonly unseenCategories: number;
  /** Values of the wrong type (text where a number was fitted, a fraction for a category code). */
  readonly typeViolations: number;
  /** All failed checks over rows. */
  readonly failureRate: number;
}

/** One feature's test. */
export interface FeatureDriftResult {
  /** Index after flattening. */
  readonly index: number;
  /** The name. */
  readonly name: string;
  /** Whether it drifted at the threshold (always false in a `score`). */
  readonly drift: boolean;
  /** The test's p-value. */
  readonly pValue: number;
  /** The test statistic (KS: largest CDF difference; CVM statistic; chi-squared). */
  readonly statistic: number;
  /** `ks`, `cvm`, `chi2` or `quality`. */
  readonly test: string;
  /** `numeric` or `categorical`. */
  readonly featureType: string;
  /** Effect sizes against the reference; undefined when the service sent none. */
  readonly effectSizes: DriftEffectSizes | undefined;
  /** Quality kind: its checks in this batch. */
  readonly quality: DriftQualityCounts | undefined;
  /** Summarised window: the exact statistic lies within `statistic` +- this (KS; 0 for chi-square). */
  readonly statisticErrorBound?: number;
  /** Summarised window, KS: the p-values at statistic + bound and statistic - bound. */
  readonly pValueRange?: readonly [number, number];
}

/** How a summarised window (past its exactRows) was approximated. */
export interface DriftApproximation {
  /** Rows the window had. */
  readonly windowRows: number;
  /** Relative accuracy of its quantile sketches. */
  readonly relativeAccuracy: number;
  /** MMD, LSDD, PCA: rows of the sample the statistic was computed on; 0 otherwise. */
  readonly sampledRows: number;
  /** The largest per-feature statistic error bound. */
  readonly maxStatisticErrorBound: number;
  /** What the approximation means, in one sentence. */
  readonly note: string;
}

/** A verdict: Alibi Detect's `data` for a drift detector. */
export interface DriftVerdict {
  /** Whether it drifted. */
  readonly drift: boolean;
  /**
   * The cut-off the verdict used: a p-value after correction, a distance (PCA), a failure
   * rate (quality), or an online kind's test-statistic threshold.
   */
  readonly threshold: number;
  /** Univariate and tabular kinds: per feature. */
  readonly features: readonly FeatureDriftResult[];
  /** MMD and LSDD: the permutation p-value. */
  readonly pValue: number | undefined;
  /** MMD: squared MMD; LSDD: the LSDD statistic; PCA: the reconstruction error. */
  readonly distance: number | undefined;
  /** MMD and LSDD: the distance at which the p-value equals the level. */
  readonly distanceThreshold: number | undefined;
  /** Online kinds: rows seen after this call. */
  readonly time: number | undefined;
  /** Online kinds: the test statistic after the last row. */
  readonly testStat: number | undefined;
  /** Online kinds: the first row of this call at which drift was detected. */
  readonly driftTime: number | undefined;
  /** Online kinds: every row's verdict, in the order sent (empty for offline kinds). */
  readonly onlineRows: readonly OnlineRowResult[];
  /** Online kinds: the expected run time the thresholds were configured for. */
  readonly ert: number | undefined;
  /** The significance level before correction. */
  readonly alpha: number;
  /** The correction used (univariate and tabular kinds). */
  readonly correction: DriftCorrection | undefined;
  /** MMD and LSDD: the kernel bandwidth used. */
  readonly sigma: number | undefined;
  /** What the verdict compared: `p_value`, an effect size, `distance` or `failure_rate`. */
  readonly verdictOn: string;
  /** Rows (instances) in it. */
  readonly rows: number;
  /** Set when the window was summarised and scored approximately. */
  readonly approximation?: DriftApproximation;
}

/** Alibi Detect's `meta`: what answered. */
export interface DriftMeta {
  /** The name. */
  readonly name: string;
  /** As Alibi names it (`KSDrift`, ...), or `QualityDrift`, `PCADrift`. */
  readonly kindName: string;
  /** Always `drift`. */
  readonly detectorType: string;
  /** Whether the kind is online. */
  readonly online: boolean;
  /** The data's type; `tabular` for now. */
  readonly dataType: string;
  /** The saved-detector schema version. */
  readonly schemaVersion: number;
}

/** What `predict` answers: Alibi Detect's `{ meta, data }`. */
export interface DriftPrediction {
  /** What answered. */
  readonly meta: DriftMeta;
  /** The verdict. */
  readonly data: DriftVerdict;
}

/** What `score` answers: statistics and p-values without a verdict. */
export interface DriftScore {
  /** Univariate kinds: per feature (`drift` false). */
  readonly features: readonly FeatureDriftResult[];
  /** MMD: the permutation p-value. */
  readonly pValue: number | undefined;
  /** MMD: the squared MMD. */
  readonly distance: number | undefined;
  /** Online kinds: per row, the statistic the window would have after adding it. */
  readonly testStats: readonly number[];
}

/** How far a history scan is. */
export interface DriftHistoryProgress {
  /** Events read so far, matching or not. */
  readonly eventsRead: number;
  /** Events that matched the selector and were read into windows. */
  readonly eventsMatched: number;
  /** Events skipped as unreadable, by reason. */
  readonly eventsSkipped: Readonly<Record<string, number>>;
  /** The time of the last event read. */
  readonly positionTime: Date | undefined;
  /** Windows sent so far. */
  readonly windows: number;
}

/** One closed window of a history scan. */
export interface DriftHistoryWindow {
  /** The first event time in the window. */
  readonly startTime: Date | undefined;
  /** The last event time in the window. */
  readonly endTime: Date | undefined;
  /** Events in the window. */
  readonly events: number;
  /** Rows (instances) in it. */
  readonly rows: number;
  /** The verdict. */
  readonly verdict: DriftVerdict;
}

/** One item of `scoreHistory`: progress alone, or a closed window (with progress after it). */
export type DriftHistoryItem = DriftHistoryProgressItem | DriftHistoryWindowItem;

/** Progress while no window closes (about once a second). */
export interface DriftHistoryProgressItem {
  /** Always `progress`. */
  readonly kind: 'progress';
  /** How far the scan is. */
  readonly progress: DriftHistoryProgress;
}

/** A closed window's verdict. */
export interface DriftHistoryWindowItem {
  /** Always `window`. */
  readonly kind: 'window';
  /** The window and its verdict. */
  readonly window: DriftHistoryWindow;
  /** The scan's progress after this window. */
  readonly progress: DriftHistoryProgress | undefined;
}

/** One closed window's stored result. */
export interface DriftEventRecord {
  /** A unique id (the CloudEvent id). */
  readonly eventId: string;
  /** The detector. */
  readonly detector: string;
  /** The fitted version that scored the window. */
  readonly detectorVersion: number;
  /** `live` or `history`. */
  readonly origin: string;
  /** The model (or graph) the events answered. */
  readonly modelName: string;
  /** The model version; empty when every version was selected. */
  readonly modelVersion: string;
  /** The first event time in the window. */
  readonly windowStartTime: Date | undefined;
  /** The last event time in the window. */
  readonly windowEndTime: Date | undefined;
  /** Events in the window. */
  readonly events: number;
  /** Rows (instances) in it. */
  readonly rows: number;
  /** Up to the service's limit; `requestIdCount` is the whole count. */
  readonly requestIds: readonly string[];
  /** How many request ids the window held. */
  readonly requestIdCount: number;
  /** `rows`, `time` or `shutdown`. */
  readonly closedBy: string;
  /** When the window was scored. */
  readonly time: Date | undefined;
  /** The verdict. */
  readonly verdict: DriftVerdict | undefined;
  /** A window merged from replicas: the replicas whose shares it holds, of how many expected. */
  readonly shares?: { readonly merged: number; readonly expected: number };
}

function optionalNumber(value: number | bigint | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** A lineage from its message. */
export function lineageOf(message: driftV1.DetectorLineage): DriftLineage {
  return {
    name: message.name,
    version: message.version,
    kindName: message.kind,
    settings: settingsOfConfig(message.config),
    referenceSha256: message.referenceSha256,
    referenceRows: Number(message.referenceRows),
    featureNames: [...message.featureNames],
    featureTypes: [...message.featureTypes],
    createTime: message.createTime,
    sightlineVersion: message.sightlineVersion,
    creator: message.creator,
    referenceSource: message.referenceSource,
    seed: message.seed,
    referenceSkippedEvents: countsByReason(message.referenceSkippedEvents),
  };
}

/** A detector from its message (an absent one, a protocol break, reads as an empty detector). */
export function detectorOf(message: driftV1.Detector | undefined): DriftDetector {
  const m = message ?? ({} as Partial<driftV1.Detector>);
  const settings = settingsOfConfig(m.config);
  return {
    name: m.name ?? '',
    settings,
    kind: settings.kind ?? 'tabular',
    state: m.state === driftV1.DetectorState.DETECTOR_STATE_FITTED ? 'fitted' : 'created',
    schemaVersion: m.schemaVersion ?? 0,
    inputs: (m.inputs ?? []).map(inputSpecOf),
    featureCount: m.featureCount ?? 0,
    referenceRows: Number(m.referenceRows ?? 0n),
    time: Number(m.time ?? 0n),
    live: m.live === undefined || m.live.modelName === '' ? undefined : selectorOf(m.live),
    liveWindow: m.liveWindow === undefined ? undefined : windowOf(m.liveWindow),
    labels: { ...(m.labels ?? {}) },
    createTime: m.createTime,
    fitTime: m.fitTime,
    producerVersion: m.producerVersion ?? '',
    version: m.version ?? 0,
    lineage: m.lineage === undefined ? undefined : lineageOf(m.lineage),
    categoricalFeatures: [...(m.categoricalFeatures ?? [])],
    attached: m.attached ?? false,
    trailingReference:
      m.config?.trailingReference === undefined ? undefined : trailingReferenceOf(m.config.trailingReference),
  };
}

function effectSizesOf(message: driftV1.EffectSizes | undefined): DriftEffectSizes | undefined {
  if (message === undefined) return undefined;
  return {
    psi: message.psi,
    jensenShannon: message.jensenShannon,
    wasserstein: message.wasserstein,
    hellinger: message.hellinger,
  };
}

function qualityOf(message: driftV1.QualityCounts | undefined): DriftQualityCounts | undefined {
  if (message === undefined) return undefined;
  return {
    rows: Number(message.rows),
    missing: Number(message.missing),
    outOfBounds: Number(message.outOfBounds),
    unseenCategories: Number(message.unseenCategories),
    typeViolations: Number(message.typeViolations),
    failureRate: message.failureRate,
  };
}

/** A feature's result from its message. */
export function featureOf(message: driftV1.FeatureDrift): FeatureDriftResult {
  return {
    index: message.index,
    name: message.name,
    drift: message.isDrift,
    pValue: message.pVal,
    statistic: message.distance,
    test: message.test,
    featureType: message.featureType,
    effectSizes: effectSizesOf(message.effectSizes),
    quality: qualityOf(message.quality),
    ...(message.statisticErrorBound !== undefined && { statisticErrorBound: message.statisticErrorBound }),
    ...(message.pValLow !== undefined &&
      message.pValHigh !== undefined && { pValueRange: [message.pValLow, message.pValHigh] as const }),
  };
}

/** One row's verdict of an online detector. */
export interface OnlineRowResult {
  /** Rows seen since the fit or the last reset, this one included. */
  readonly time: number;
  /** The statistic after this row (NaN while no window is full). */
  readonly testStat: number;
  /** The threshold at this time (NaN while no window is full). */
  readonly threshold: number;
  readonly drift: boolean;
}

/** A verdict from its message. */
export function verdictOf(message: driftV1.DriftData | undefined): DriftVerdict {
  const m = message ?? ({ features: [] } as unknown as driftV1.DriftData);
  return {
    drift: m.isDrift ?? false,
    threshold: m.threshold ?? 0,
    features: (m.features ?? []).map(featureOf),
    pValue: m.pVal,
    distance: m.distance,
    distanceThreshold: m.distanceThreshold,
    time: optionalNumber(m.time),
    testStat: m.testStat,
    driftTime: optionalNumber(m.driftTime),
    onlineRows: (m.onlineRows ?? []).map((row) => ({
      time: Number(row.time),
      testStat: row.testStat,
      threshold: row.threshold,
      drift: row.isDrift,
    })),
    ert: m.ert,
    alpha: m.pValAlpha ?? 0,
    correction: correctionName(m.correction ?? 0),
    sigma: m.sigma,
    verdictOn: m.verdictOn ?? '',
    rows: Number(m.rows ?? 0n),
    ...(m.approximation !== undefined && {
      approximation: {
        windowRows: Number(m.approximation.windowRows),
        relativeAccuracy: m.approximation.relativeAccuracy,
        sampledRows: Number(m.approximation.sampledRows),
        maxStatisticErrorBound: m.approximation.maxStatisticErrorBound,
        note: m.approximation.note,
      },
    }),
  };
}

/** Predict's answer. */
export function predictionOf(message: driftV1.PredictResponse): DriftPrediction {
  const meta = message.meta;
  return {
    meta: {
      name: meta?.name ?? '',
      kindName: meta?.kind ?? '',
      detectorType: meta?.detectorType ?? '',
      online: meta?.online ?? false,
      dataType: meta?.dataType ?? '',
      schemaVersion: meta?.schemaVersion ?? 0,
    },
    data: verdictOf(message.data),
  };
}

/** Score's answer. */
export function scoreOf(message: driftV1.ScoreResponse): DriftScore {
  return {
    features: message.features.map(featureOf),
    pValue: message.pVal,
    distance: message.distance,
    testStats: [...message.testStat],
  };
}

/** Progress from its message. */
export function progressOf(message: driftV1.HistoryProgress): DriftHistoryProgress {
  return {
    eventsRead: Number(message.eventsRead),
    eventsMatched: Number(message.eventsMatched),
    eventsSkipped: countsByReason(message.eventsSkipped),
    positionTime: message.positionTime,
    windows: message.windows,
  };
}

/** One ScoreHistory message as an item; undefined for a message with neither part. */
export function historyItemOf(message: driftV1.ScoreHistoryResponse): DriftHistoryItem | undefined {
  const progress = message.progress === undefined ? undefined : progressOf(message.progress);
  if (message.data !== undefined) {
    return {
      kind: 'window',
      window: {
        startTime: message.windowStartTime,
        endTime: message.windowEndTime,
        events: Number(message.events),
        rows: Number(message.rows),
        verdict: verdictOf(message.data),
      },
      progress,
    };
  }
  return progress === undefined ? undefined : { kind: 'progress', progress };
}

/** A drift event from its message. */
export function driftEventOf(message: driftV1.DriftEvent): DriftEventRecord {
  return {
    eventId: message.eventId,
    detector: message.detector,
    detectorVersion: message.detectorVersion,
    origin: message.origin,
    modelName: message.modelName,
    modelVersion: message.modelVersion,
    windowStartTime: message.windowStartTime,
    windowEndTime: message.windowEndTime,
    events: Number(message.events),
    rows: Number(message.rows),
    requestIds: [...message.requestIds],
    requestIdCount: Number(message.requestIdCount),
    closedBy: message.closedBy,
    time: message.time,
    verdict: message.data === undefined ? undefined : verdictOf(message.data),
    ...(message.sharesExpected > 0 && {
      shares: { merged: message.sharesMerged, expected: message.sharesExpected },
    }),
  };
}
