/**
 * What the metrics service answers, in plain TypeScript: windows of metrics with their
 * intervals, comparisons, concept-drift states, annotation items and alerts. Counts are
 * numbers (uint64 counts stay far below 2^53), times Dates, enums lower-case names (see
 * metrics-enums.ts); only the decoders in this file read the generated messages.
 */
import type { metricsV1 } from '@sightline/contracts';
import {
  alertComparisons,
  alertMetrics,
  alertStates,
  annotationItemStates,
  annotationPolicies,
  comparisonMetrics,
  comparisonTests,
  comparisonVerdicts,
  conceptDriftDetectors,
  conceptDriftStates,
  feedbackStatuses,
  intervalMethods,
  taskTypes,
} from './metrics-enum-codecs.js';

/** The range a value's true value lies in with probability `confidence`, and how it was computed. */
export interface MetricInterval {
  readonly low: number;
  readonly high: number;
  readonly confidence: number;
  /** e.g. `wilson`, `t`, `normal`, `bootstrap_percentile`, `newcombe_paired`. */
  readonly method: string;
}

/** A value and, where the statistics give one, its sampling interval. NaN: not computable. */
export interface MetricValue {
  readonly value: number;
  readonly interval?: MetricInterval;
}

/** A model, version and graph node: what metrics are kept under. */
export interface MetricsSeries {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly node: string;
}

/** A segment name and one of its values. */
export interface MetricsSegment {
  readonly name: string;
  readonly value: string;
}

/** Prediction and feedback counts of a window. */
export interface FeedbackCounts {
  readonly predictions: number;
  readonly requests: number;
  readonly joined: number;
  readonly rowsWithoutFeedback: number;
  readonly feedback: number;
  readonly pending: number;
  readonly expired: number;
  readonly pendingUnnamed: number;
  readonly expiredUnnamed: number;
}

/** One class's scores. */
export interface ClassScores {
  readonly label: string;
  readonly precision: MetricValue;
  readonly recall: MetricValue;
  readonly f1: MetricValue;
  readonly support: number;
}

/** Precision, recall and F1 under one averaging rule. */
export interface AveragedScores {
  readonly precision: MetricValue;
  readonly recall: MetricValue;
  readonly f1: MetricValue;
}

/** One-vs-rest ROC AUC. */
export interface RocAuc {
  readonly perClass: readonly number[];
  readonly macro: number;
  readonly weighted: number;
  /** Two classes: the AUC of the second class's probability. */
  readonly binary?: number;
  /** The AUC lies within +- this of the exact value (histogram bins); 0 when exact. */
  readonly maxError: number;
}

/** Classification metrics, as scikit-learn computes them (zero_division = 0). */
export interface ClassificationMetrics {
  readonly pairs: number;
  readonly accuracy: MetricValue;
  readonly classes: readonly ClassScores[];
  readonly macro: AveragedScores;
  readonly micro: AveragedScores;
  readonly weighted: AveragedScores;
  /** K x K, row = true class, column = predicted class, in class order. */
  readonly confusionMatrix: readonly (readonly number[])[];
  readonly probabilityPairs: number;
  readonly rocAuc?: RocAuc;
  readonly logLoss?: MetricValue;
  readonly expectedCalibrationError?: MetricValue;
  readonly calibrationBins: number;
}

/** Regression metrics (scikit-learn's uniform_average over elements). */
export interface RegressionMetrics {
  readonly pairs: number;
  readonly mse: MetricValue;
  readonly rmse: MetricValue;
  readonly mae: MetricValue;
  /** A fraction, not x100. */
  readonly mape: MetricValue;
  readonly r2: MetricValue;
}

/** Quantiles from a sketch (each within `relativeAccuracy` of the true one's magnitude). */
export interface SketchQuantiles {
  readonly count: number;
  readonly relativeAccuracy: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
}

/** How far a window's predictions moved from a reference window's. */
export interface DistributionShift {
  readonly klDivergence: number;
  readonly jensenShannonDistance: number;
  readonly psi: number;
  readonly referenceStart?: Date;
  readonly referenceEnd?: Date;
  readonly referenceRows: number;
}

/** What was predicted in a window, labelled or not. */
export interface PredictionDistribution {
  readonly classCounts: Readonly<Record<string, number>>;
  readonly outputs?: SketchQuantiles;
  readonly shift?: DistributionShift;
}

/** CBPE: the accuracy and F1 a classifier's own probabilities promise, before labels. */
export interface CbpeEstimate {
  readonly rows: number;
  readonly accuracy: MetricValue;
  readonly f1Macro: MetricValue;
  /** Realised minus estimated on the labelled pairs. */
  readonly gap?: { readonly pairs: number; readonly accuracy: MetricValue; readonly f1Macro: MetricValue };
}

/** DLE: a regressor's MAE and RMSE predicted before labels. */
export interface DleEstimate {
  readonly rows: number;
  readonly mae: MetricValue;
  readonly rmse: MetricValue;
  readonly gap?: { readonly pairs: number; readonly mae: MetricValue; readonly rmse: MetricValue };
}

/** Everything one window says. */
export interface WindowMetrics {
  /** Count windows: the window's series. */
  readonly series?: MetricsSeries;
  readonly segment?: MetricsSegment;
  readonly start?: Date;
  readonly end?: Date;
  readonly countWindowIndex: number;
  readonly buckets: number;
  readonly counts: FeedbackCounts;
  readonly coverage: MetricValue;
  readonly classification?: ClassificationMetrics;
  readonly regression?: RegressionMetrics;
  readonly predictions?: PredictionDistribution;
  readonly latencyMs?: SketchQuantiles;
  readonly cbpe?: CbpeEstimate;
  readonly dle?: DleEstimate;
}

/** `classification`, `regression`, or `unspecified` before a task is known. */
export type MetricsTask = string;

/** GetMetrics' answer. */
export interface MetricsReport {
  readonly task: MetricsTask;
  /** Classification: the class labels in probability order. */
  readonly classes: readonly string[];
  /** The series combined. */
  readonly series: readonly MetricsSeries[];
  /** One window, one per step (oldest first), or one per count window. */
  readonly windows: readonly WindowMetrics[];
  /** With a breakdown segment: one window per value. */
  readonly segments: readonly WindowMetrics[];
  /** With a breakdown segment: how its values were bounded. */
  readonly segmentOverflow?: {
    readonly valuesKept: number;
    readonly rowsToOther: number;
    readonly pairsToOther: number;
  };
}

/** ComputeMetrics' answer. */
export interface ComputedMetrics {
  readonly classes: readonly string[];
  readonly classification?: ClassificationMetrics;
  readonly regression?: RegressionMetrics;
}

/** What happened to one feedback row. */
export interface FeedbackRowOutcome {
  /** The item's index in the batch sent (across the SDK's batches: in the caller's list). */
  readonly item: number;
  readonly row: number;
  /** `joined`, `pending`, `unchanged`, `replaced` or `rejected`. */
  readonly status: string;
  /** Rejected only: why. */
  readonly reason: string;
  /** Prediction rows judged. */
  readonly pairs: number;
}

/** SendFeedback's answer (summed over the SDK's batches). */
export interface FeedbackResult {
  readonly outcomes: readonly FeedbackRowOutcome[];
  readonly joined: number;
  readonly pending: number;
  readonly unchanged: number;
  readonly replaced: number;
  readonly rejected: number;
  readonly pairs: number;
}

/** One concept-drift detector's state on one series. */
export interface ConceptDriftStatus {
  readonly series: MetricsSeries;
  /** `ddm`, `adwin` or `page_hinkley`. */
  readonly detector: string;
  /** `stable`, `warning` or `drift`. */
  readonly state: string;
  readonly pairsSeen: number;
  readonly stateTime?: Date;
  readonly previousState: string;
}

/** CompareVersions' answer. */
export interface VersionComparison {
  /** `better`, `worse` or `no_evidence_yet`, from the candidate's point of view. */
  readonly verdict: string;
  readonly metric: string;
  readonly test: string;
  readonly pairs: number;
  readonly baselineValue: number;
  readonly candidateValue: number;
  /** Candidate minus baseline, with its interval at 1 - alpha. */
  readonly difference: MetricValue;
  readonly pValue: number;
  readonly alpha: number;
  readonly power: number;
  readonly pairsNeeded?: number;
  readonly additionalPairsNeeded?: number;
  readonly noDifferenceObserved: boolean;
  readonly counts?: {
    readonly bothCorrect: number;
    readonly baselineOnlyCorrect: number;
    readonly candidateOnlyCorrect: number;
    readonly bothWrong: number;
  };
  readonly validResamples: number;
  readonly baselineUnpaired: number;
  readonly candidateUnpaired: number;
  readonly start?: Date;
  readonly end?: Date;
}

/** A prediction row as the metrics keep it. */
export interface PredictedRow {
  readonly label: string;
  readonly probabilities: readonly number[];
  readonly classes: readonly string[];
  readonly values: readonly number[];
}

/** A tensor of an annotation item's inputs, sliced to its row. */
export interface ItemInput {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
}

/** One prediction row picked for labelling. */
export interface AnnotationItem {
  readonly itemId: string;
  readonly series: MetricsSeries;
  readonly requestId: string;
  readonly row: number;
  readonly predictionTime?: Date;
  /** The raw input tensors (contract messages: decode with @sightline/tensor when needed). */
  readonly inputs: readonly metricsV1.AnnotationItem['inputs'][number][];
  readonly inputsTruncated: boolean;
  readonly prediction?: PredictedRow;
  readonly shadowPrediction?: PredictedRow;
  readonly reason: { readonly policy: string; readonly score: number; readonly explanation: string };
  /** `open`, `leased`, `answered` or `skipped`. */
  readonly state: string;
  readonly annotator: string;
  readonly leaseExpireTime?: Date;
  readonly createTime?: Date;
}

/** An annotation queue's counts since it was created. */
export interface AnnotationQueueCounts {
  readonly open: number;
  readonly leased: number;
  readonly answered: number;
  readonly skipped: number;
  readonly dropped: number;
  readonly expired: number;
  readonly labelledElsewhere: number;
}

/** A model's annotation queue. */
export interface AnnotationQueue {
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly node?: string;
  /** `uniform`, `least_confident`, `outliers_first` or `shadow_disagreement`. */
  readonly policy: string;
  readonly sampleRate?: number;
  readonly capacity: number;
  readonly shadow: string;
  readonly outlierDetector: string;
  readonly itemTtlMs?: number;
  readonly createTime?: Date;
  readonly updateTime?: Date;
  readonly counts?: AnnotationQueueCounts;
}

/** An alert rule. */
export interface AlertRule {
  readonly name: string;
  readonly modelName: string;
  readonly modelVersion?: string;
  readonly node?: string;
  readonly segment?: MetricsSegment;
  /** e.g. `accuracy`, `macro_f1`, `mae`, `latency_p99` (AlertMetric's names, lower case). */
  readonly metric: string;
  readonly classLabel: string;
  /** `lt`, `le`, `gt` or `ge`. */
  readonly comparison: string;
  readonly threshold: number;
  readonly windowMs?: number;
  readonly minSamples: number;
  readonly forMs?: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly useInterval: boolean;
  readonly confidence?: number;
  readonly referenceStart?: Date;
  readonly referenceEnd?: Date;
  readonly conceptDriftDetector: string;
}

/** One rule's alert (one per segment value for a rule over every value). */
export interface Alert {
  readonly rule?: AlertRule;
  /** `inactive`, `pending` or `firing`. */
  readonly state: string;
  readonly value: number;
  readonly samples: number;
  readonly stateTime?: Date;
  readonly evaluateTime?: Date;
  readonly segment?: MetricsSegment;
  readonly interval?: MetricInterval;
  readonly reason: string;
}

const n = (value: bigint | number | undefined): number => Number(value ?? 0);
const NAN_VALUE: MetricValue = { value: Number.NaN };

function intervalOf(message: metricsV1.Interval | undefined): MetricInterval | undefined {
  if (message === undefined) return undefined;
  return {
    low: message.low,
    high: message.high,
    confidence: message.confidence,
    method: intervalMethods.name(message.method),
  };
}

/** A MetricValue; NaN without interval when the message lacks it. */
export function metricValueOf(message: metricsV1.MetricValue | undefined): MetricValue {
  if (message === undefined) return NAN_VALUE;
  const interval = intervalOf(message.interval);
  return interval === undefined ? { value: message.value } : { value: message.value, interval };
}

export function seriesOf(message: metricsV1.Series | undefined): MetricsSeries {
  return {
    modelName: message?.modelName ?? '',
    modelVersion: message?.modelVersion ?? '',
    node: message?.node ?? '',
  };
}

function segmentOf(message: metricsV1.Segment | undefined): MetricsSegment | undefined {
  return message === undefined ? undefined : { name: message.name, value: message.value };
}

function countsOf(message: metricsV1.FeedbackCounts | undefined): FeedbackCounts {
  return {
    predictions: n(message?.predictions),
    requests: n(message?.requests),
    joined: n(message?.joined),
    rowsWithoutFeedback: n(message?.rowsWithoutFeedback),
    feedback: n(message?.feedback),
    pending: n(message?.pending),
    expired: n(message?.expired),
    pendingUnnamed: n(message?.pendingUnnamed),
    expiredUnnamed: n(message?.expiredUnnamed),
  };
}

function averagedOf(message: metricsV1.AveragedScores | undefined): AveragedScores {
  return {
    precision: metricValueOf(message?.precision),
    recall: metricValueOf(message?.recall),
    f1: metricValueOf(message?.f1),
  };
}

/** A K x K matrix from its row-major cells. */
function squareOf(cells: readonly (bigint | number)[], k: number): number[][] {
  const rows: number[][] = [];
  for (let i = 0; i < k; i++) rows.push(cells.slice(i * k, i * k + k).map((cell) => Number(cell)));
  return rows;
}

export function classificationOf(message: metricsV1.ClassificationMetrics): ClassificationMetrics {
  const k = message.classes.length;
  return {
    pairs: n(message.pairs),
    accuracy: metricValueOf(message.accuracy),
    classes: message.classes.map((c) => ({
      label: c.label,
      precision: metricValueOf(c.precision),
      recall: metricValueOf(c.recall),
      f1: metricValueOf(c.f1),
      support: n(c.support),
    })),
    macro: averagedOf(message.macro),
    micro: averagedOf(message.micro),
    weighted: averagedOf(message.weighted),
    confusionMatrix: squareOf(message.confusionMatrix, k),
    probabilityPairs: n(message.probabilityPairs),
    ...(message.rocAuc !== undefined && {
      rocAuc: {
        perClass: [...message.rocAuc.perClass],
        macro: message.rocAuc.macro,
        weighted: message.rocAuc.weighted,
        ...(message.rocAuc.binary !== undefined && { binary: message.rocAuc.binary }),
        maxError: message.rocAuc.maxError,
      },
    }),
    ...(message.logLoss !== undefined && { logLoss: metricValueOf(message.logLoss) }),
    ...(message.expectedCalibrationError !== undefined && {
      expectedCalibrationError: metricValueOf(message.expectedCalibrationError),
    }),
    calibrationBins: message.calibrationBins,
  };
}

export function regressionOf(message: metricsV1.RegressionMetrics): RegressionMetrics {
  return {
    pairs: n(message.pairs),
    mse: metricValueOf(message.mse),
    rmse: metricValueOf(message.rmse),
    mae: metricValueOf(message.mae),
    mape: metricValueOf(message.mape),
    r2: metricValueOf(message.r2),
  };
}

function sketchOf(message: metricsV1.SketchQuantiles | undefined): SketchQuantiles | undefined {
  if (message === undefined) return undefined;
  return {
    count: n(message.count),
    relativeAccuracy: message.relativeAccuracy,
    min: message.min,
    max: message.max,
    p50: message.p50,
    p90: message.p90,
    p95: message.p95,
    p99: message.p99,
  };
}

function distributionOf(message: metricsV1.PredictionDistribution): PredictionDistribution {
  const classCounts: Record<string, number> = {};
  for (const [label, count] of Object.entries(message.classCounts)) classCounts[label] = n(count);
  const outputs = sketchOf(message.outputs);
  const shift = message.shift;
  return {
    classCounts,
    ...(outputs !== undefined && { outputs }),
    ...(shift !== undefined && {
      shift: {
        klDivergence: shift.klDivergence,
        jensenShannonDistance: shift.jensenShannonDistance,
        psi: shift.psi,
        ...(shift.reference?.startTime !== undefined && { referenceStart: shift.reference.startTime }),
        ...(shift.reference?.endTime !== undefined && { referenceEnd: shift.reference.endTime }),
        referenceRows: n(shift.referenceRows),
      },
    }),
  };
}

function cbpeOf(message: metricsV1.CbpeEstimate): CbpeEstimate {
  return {
    rows: n(message.rows),
    accuracy: metricValueOf(message.accuracy),
    f1Macro: metricValueOf(message.f1Macro),
    ...(message.gap !== undefined && {
      gap: {
        pairs: n(message.gap.pairs),
        accuracy: metricValueOf(message.gap.accuracy),
        f1Macro: metricValueOf(message.gap.f1Macro),
      },
    }),
  };
}

function dleOf(message: metricsV1.DleEstimate): DleEstimate {
  return {
    rows: n(message.rows),
    mae: metricValueOf(message.mae),
    rmse: metricValueOf(message.rmse),
    ...(message.gap !== undefined && {
      gap: {
        pairs: n(message.gap.pairs),
        mae: metricValueOf(message.gap.mae),
        rmse: metricValueOf(message.gap.rmse),
      },
    }),
  };
}

export function windowOf(message: metricsV1.WindowMetrics): WindowMetrics {
  const segment = segmentOf(message.segment);
  const latencyMs = sketchOf(message.latencyMs);
  return {
    ...(message.series !== undefined && { series: seriesOf(message.series) }),
    ...(segment !== undefined && { segment }),
    ...(message.startTime !== undefined && { start: message.startTime }),
    ...(message.endTime !== undefined && { end: message.endTime }),
    countWindowIndex: n(message.countWindowIndex),
    buckets: message.buckets,
    counts: countsOf(message.counts),
    coverage: metricValueOf(message.coverage),
    ...(message.classification !== undefined && { classification: classificationOf(message.classification) }),
    ...(message.regression !== undefined && { regression: regressionOf(message.regression) }),
    ...(message.predictions !== undefined && { predictions: distributionOf(message.predictions) }),
    ...(latencyMs !== undefined && { latencyMs }),
    ...(message.cbpe !== undefined && { cbpe: cbpeOf(message.cbpe) }),
    ...(message.dle !== undefined && { dle: dleOf(message.dle) }),
  };
}

export function metricsReportOf(message: metricsV1.GetMetricsResponse): MetricsReport {
  const overflow = message.segmentOverflow;
  return {
    task: taskTypes.name(message.task),
    classes: [...message.classes],
    series: message.series.map(seriesOf),
    windows: message.windows.map(windowOf),
    segments: message.segments.map(windowOf),
    ...(overflow !== undefined && {
      segmentOverflow: {
        valuesKept: overflow.valuesKept,
        rowsToOther: n(overflow.rowsToOther),
        pairsToOther: n(overflow.pairsToOther),
      },
    }),
  };
}

export function computedMetricsOf(message: metricsV1.ComputeMetricsResponse): ComputedMetrics {
  return {
    classes: [...message.classes],
    ...(message.classification !== undefined && { classification: classificationOf(message.classification) }),
    ...(message.regression !== undefined && { regression: regressionOf(message.regression) }),
  };
}

export function feedbackOutcomeOf(message: metricsV1.FeedbackOutcome, itemOffset = 0): FeedbackRowOutcome {
  return {
    item: message.item + itemOffset,
    row: message.row,
    status: feedbackStatuses.name(message.status),
    reason: message.reason,
    pairs: message.pairs,
  };
}

export function conceptDriftStatusOf(message: metricsV1.ConceptDriftStatus): ConceptDriftStatus {
  return {
    series: seriesOf(message.series),
    detector: conceptDriftDetectors.name(message.detector),
    state: conceptDriftStates.name(message.state),
    pairsSeen: n(message.pairsSeen),
    ...(message.stateTime !== undefined && { stateTime: message.stateTime }),
    previousState: conceptDriftStates.name(message.previousState),
  };
}

export function comparisonOf(message: metricsV1.CompareVersionsResponse): VersionComparison {
  return {
    verdict: comparisonVerdicts.name(message.verdict),
    metric: comparisonMetrics.name(message.metric),
    test: comparisonTests.name(message.test),
    pairs: n(message.pairs),
    baselineValue: message.baselineValue,
    candidateValue: message.candidateValue,
    difference: metricValueOf(message.difference),
    pValue: message.pValue,
    alpha: message.alpha,
    power: message.power,
    ...(message.pairsNeeded !== undefined && { pairsNeeded: n(message.pairsNeeded) }),
    ...(message.additionalPairsNeeded !== undefined && {
      additionalPairsNeeded: n(message.additionalPairsNeeded),
    }),
    noDifferenceObserved: message.noDifferenceObserved,
    ...(message.counts !== undefined && {
      counts: {
        bothCorrect: n(message.counts.bothCorrect),
        baselineOnlyCorrect: n(message.counts.baselineOnlyCorrect),
        candidateOnlyCorrect: n(message.counts.candidateOnlyCorrect),
        bothWrong: n(message.counts.bothWrong),
      },
    }),
    validResamples: message.validResamples,
    baselineUnpaired: n(message.baselineUnpaired),
    candidateUnpaired: n(message.candidateUnpaired),
    ...(message.range?.startTime !== undefined && { start: message.range.startTime }),
    ...(message.range?.endTime !== undefined && { end: message.range.endTime }),
  };
}

function predictedRowOf(message: metricsV1.PredictedRow | undefined): PredictedRow | undefined {
  if (message === undefined) return undefined;
  return {
    label: message.label,
    probabilities: [...message.probabilities],
    classes: [...message.classes],
    values: [...message.values],
  };
}

/** Milliseconds of a protobuf Duration; undefined when unset. */
export function durationMsOf(message: { seconds: bigint; nanos: number } | undefined): number | undefined {
  return message === undefined ? undefined : Number(message.seconds) * 1000 + Math.round(message.nanos / 1e6);
}

export function annotationItemOf(message: metricsV1.AnnotationItem): AnnotationItem {
  const prediction = predictedRowOf(message.prediction);
  const shadowPrediction = predictedRowOf(message.shadowPrediction);
  return {
    itemId: message.itemId,
    series: seriesOf(message.series),
    requestId: message.requestId,
    row: message.row,
    ...(message.predictionTime !== undefined && { predictionTime: message.predictionTime }),
    inputs: message.inputs,
    inputsTruncated: message.inputsTruncated,
    ...(prediction !== undefined && { prediction }),
    ...(shadowPrediction !== undefined && { shadowPrediction }),
    reason: {
      policy: annotationPolicies.name(message.reason?.policy ?? 0),
      score: message.reason?.score ?? Number.NaN,
      explanation: message.reason?.explanation ?? '',
    },
    state: annotationItemStates.name(message.state),
    annotator: message.annotator,
    ...(message.leaseExpireTime !== undefined && { leaseExpireTime: message.leaseExpireTime }),
    ...(message.createTime !== undefined && { createTime: message.createTime }),
  };
}

export function annotationQueueOf(message: metricsV1.AnnotationQueue | undefined): AnnotationQueue {
  const q = message;
  const itemTtlMs = durationMsOf(q?.itemTtl);
  const c = q?.counts;
  return {
    modelName: q?.modelName ?? '',
    ...(q?.modelVersion !== undefined && { modelVersion: q.modelVersion }),
    ...(q?.node !== undefined && { node: q.node }),
    policy: annotationPolicies.name(q?.policy ?? 0),
    ...(q?.sampleRate !== undefined && { sampleRate: q.sampleRate }),
    capacity: q?.capacity ?? 0,
    shadow: q?.shadow ?? '',
    outlierDetector: q?.outlierDetector ?? '',
    ...(itemTtlMs !== undefined && { itemTtlMs }),
    ...(q?.createTime !== undefined && { createTime: q.createTime }),
    ...(q?.updateTime !== undefined && { updateTime: q.updateTime }),
    ...(c !== undefined && {
      counts: {
        open: n(c.open),
        leased: n(c.leased),
        answered: n(c.answered),
        skipped: n(c.skipped),
        dropped: n(c.dropped),
        expired: n(c.expired),
        labelledElsewhere: n(c.labelledElsewhere),
      },
    }),
  };
}

export function alertRuleOf(message: metricsV1.AlertRule | undefined): AlertRule {
  const r = message;
  const segment = segmentOf(r?.segment);
  const windowMs = durationMsOf(r?.window);
  const forMs = durationMsOf(r?.forDuration);
  return {
    name: r?.name ?? '',
    modelName: r?.series?.modelName ?? '',
    ...(r?.series?.modelVersion !== undefined && { modelVersion: r.series.modelVersion }),
    ...(r?.series?.node !== undefined && { node: r.series.node }),
    ...(segment !== undefined && { segment }),
    metric: alertMetrics.name(r?.metric ?? 0),
    classLabel: r?.classLabel ?? '',
    comparison: alertComparisons.name(r?.comparison ?? 0),
    threshold: r?.threshold ?? Number.NaN,
    ...(windowMs !== undefined && { windowMs }),
    minSamples: n(r?.minSamples),
    ...(forMs !== undefined && { forMs }),
    labels: { ...(r?.labels ?? {}) },
    annotations: { ...(r?.annotations ?? {}) },
    useInterval: r?.useInterval ?? false,
    ...(r?.confidence !== undefined && { confidence: r.confidence }),
    ...(r?.reference?.startTime !== undefined && { referenceStart: r.reference.startTime }),
    ...(r?.reference?.endTime !== undefined && { referenceEnd: r.reference.endTime }),
    conceptDriftDetector: conceptDriftDetectors.name(r?.conceptDriftDetector ?? 0),
  };
}

export function alertOf(message: metricsV1.Alert): Alert {
  const segment = segmentOf(message.segment);
  const interval = intervalOf(message.interval);
  return {
    ...(message.rule !== undefined && { rule: alertRuleOf(message.rule) }),
    state: alertStates.name(message.state),
    value: message.value,
    samples: n(message.samples),
    ...(message.stateTime !== undefined && { stateTime: message.stateTime }),
    ...(message.evaluateTime !== undefined && { evaluateTime: message.evaluateTime }),
    ...(segment !== undefined && { segment }),
    ...(interval !== undefined && { interval }),
    reason: message.reason,
  };
}
