/**
 * The metrics client's inputs in plain TypeScript and their contract messages. Checks here are
 * the ones the SDK can make without the service (shapes, units, enum names); the service
 * checks the rest and names the field.
 */
import type { metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { dateOf, rangeOf } from '../data/time-range.js';
import type { TimeInput } from '../events/events-client.js';
import {
  alertComparisons,
  alertMetrics,
  annotationPolicies,
  comparisonMetrics,
  comparisonTests,
  conceptDriftDetectors,
} from './metrics-enum-codecs.js';

/** The service's rows per SendFeedback call by default (--max-feedback-per-call). */
export const DEFAULT_FEEDBACK_ROWS_PER_CALL = 10_000;

/** Ground truth for one row (or, with `labels`, consecutive rows) of one request. */
export interface FeedbackInput {
  /** The prediction's request id. */
  readonly requestId: string;
  /** The (first) row judged; unset: 0. */
  readonly row?: number;
  /** Only this model's (or graph node's) predictions are judged; unset: every prediction of the request. */
  readonly modelName?: string;
  /** One row's class label (a class name, or a decimal class index). */
  readonly label?: string;
  /** Consecutive rows' class labels, from `row`. */
  readonly labels?: readonly string[];
  /** One row's true value(s) (regression). */
  readonly values?: readonly number[];
  /** One row's reward. */
  readonly reward?: number;
  /** When the truth was observed; unset: when it arrives. */
  readonly observeTime?: TimeInput;
}

/** Rows a feedback input stands for. */
export function feedbackRows(input: FeedbackInput): number {
  return input.labels?.length ?? 1;
}

/**
 * The contract item of a feedback input.
 * @throws InvalidArgumentError naming `items[i].<field>` when not exactly one truth is set.
 */
export function feedbackItemMessage(input: FeedbackInput, index: number): metricsV1.FeedbackItem {
  const field = (name: string) => `items[${index}].${name}`;
  const truths = [input.label, input.labels, input.values, input.reward].filter((t) => t !== undefined);
  if (truths.length !== 1) {
    throw new InvalidArgumentError(
      `${field('truth')}: exactly one of label, labels, values and reward is required, got ${truths.length}`,
      { field: field('truth') },
    );
  }
  if (input.row !== undefined && (!Number.isInteger(input.row) || input.row < 0)) {
    throw new InvalidArgumentError(`${field('row')}: must be a whole number of 0 or more, got ${input.row}`, {
      field: field('row'),
    });
  }
  const observeTime = dateOf(input.observeTime, field('observeTime'));
  return {
    requestId: input.requestId,
    ...(input.row !== undefined && { row: input.row }),
    modelName: input.modelName ?? '',
    ...(input.label !== undefined && { label: input.label }),
    ...(input.labels !== undefined && { labels: { labels: [...input.labels] } }),
    ...(input.values !== undefined && { values: { values: [...input.values] } }),
    ...(input.reward !== undefined && { reward: input.reward }),
    ...(observeTime !== undefined && { observeTime }),
  };
}

/**
 * Splits inputs into consecutive batches of at most `maxRows` rows each (an input with more
 * rows than that is a batch of its own, for the service to refuse by name).
 */
export function feedbackBatches(inputs: readonly FeedbackInput[], maxRows: number): FeedbackInput[][] {
  const batches: FeedbackInput[][] = [];
  let batch: FeedbackInput[] = [];
  let rows = 0;
  for (const input of inputs) {
    const r = feedbackRows(input);
    if (batch.length > 0 && rows + r > maxRows) {
      batches.push(batch);
      batch = [];
      rows = 0;
    }
    batch.push(input);
    rows += r;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** Milliseconds as a protobuf Duration. */
export function durationOf(ms: number, field: string): { seconds: bigint; nanos: number } {
  if (!Number.isFinite(ms) || ms < 0) {
    throw new InvalidArgumentError(`${field}: must be a finite number of ms, 0 or more, got ${ms}`, {
      field,
    });
  }
  const whole = Math.floor(ms / 1000);
  return { seconds: BigInt(whole), nanos: Math.round((ms - whole * 1000) * 1e6) };
}

/** Which series: a model, optionally one version and one graph node. */
export interface SeriesSelection {
  readonly modelName: string;
  /** Only this version ('' selects predictions that carried none); unset: every version. */
  readonly version?: string;
  /** Only this graph node ('' selects direct calls); unset: every node. */
  readonly node?: string;
}

export function selectorMessage(selection: SeriesSelection): metricsV1.SeriesSelector {
  return {
    modelName: selection.modelName,
    ...(selection.version !== undefined && { modelVersion: selection.version }),
    ...(selection.node !== undefined && { node: selection.node }),
  };
}

/** A time window: a trailing span up to now, or a fixed range. */
export type TimeWindow =
  | { readonly trailingMs: number }
  | { readonly from: TimeInput; readonly to?: TimeInput };

export function timeWindowOf(
  window: TimeWindow,
  field: string,
): { trailing: { seconds: bigint; nanos: number } } | { range: { startTime?: Date; endTime?: Date } } {
  if ('trailingMs' in window) return { trailing: durationOf(window.trailingMs, `${field}.trailingMs`) };
  return { range: rangeOf(window.from, window.to) };
}

/** What `getMetrics` reads. */
export interface GetMetricsOptions {
  /** A time window, or the last `countWindows` windows that closed on a count of pairs. */
  readonly window: TimeWindow | { readonly countWindows: number };
  /** Cut a time window into steps of this many ms (a series). */
  readonly stepMs?: number;
  /** Only this segment value. */
  readonly segment?: { readonly name: string; readonly value: string };
  /** One window per value of this segment name, too. */
  readonly breakdownSegment?: string;
  /** The reference window the prediction distribution is compared with. */
  readonly reference?: { readonly from: TimeInput; readonly to: TimeInput };
  /** Level of every interval, in (0, 1); unset: 0.95. */
  readonly confidence?: number;
}

export function getMetricsRequest(
  selection: SeriesSelection,
  options: GetMetricsOptions,
): metricsV1.GetMetricsRequest {
  const w = options.window;
  return {
    series: selectorMessage(selection),
    ...(options.segment !== undefined && { segment: { ...options.segment } }),
    breakdownSegment: options.breakdownSegment ?? '',
    ...('countWindows' in w ? { countWindows: { last: w.countWindows } } : timeWindowOf(w, 'window')),
    ...(options.stepMs !== undefined && { step: durationOf(options.stepMs, 'stepMs') }),
    ...(options.reference !== undefined && {
      reference: rangeOf(options.reference.from, options.reference.to),
    }),
    ...(options.confidence !== undefined && { confidence: options.confidence }),
  };
}

/** Pairs to evaluate with the service's metric code. */
export type ComputePairs =
  | {
      readonly task: 'classification';
      readonly yTrue: readonly string[];
      readonly yPred: readonly string[];
      /** The class order; unset: the sorted labels (required with probabilities). */
      readonly classes?: readonly string[];
      /** Per pair, one probability per class in `classes` order. */
      readonly probabilities?: readonly (readonly number[])[];
      /** Labels are integers, sorted numerically. */
      readonly integerLabels?: boolean;
    }
  | { readonly task: 'regression'; readonly yTrue: readonly number[]; readonly yPred: readonly number[] };

export function computeMetricsRequest(
  pairs: ComputePairs,
  options: { readonly confidence?: number; readonly calibrationBins?: number },
): metricsV1.ComputeMetricsRequest {
  const data: Pick<metricsV1.ComputeMetricsRequest, 'classification' | 'regression'> =
    pairs.task === 'classification'
      ? {
          classification: {
            yTrue: [...pairs.yTrue],
            yPred: [...pairs.yPred],
            integerLabels: pairs.integerLabels ?? false,
            classes: [...(pairs.classes ?? [])],
            probabilities: (pairs.probabilities ?? []).flat(),
          },
        }
      : {
          regression: {
            yTrue: [...pairs.yTrue],
            yPred: [...pairs.yPred],
            referenceYTrue: [],
            referenceYPred: [],
          },
        };
  return {
    ...data,
    ...(options.confidence !== undefined && { confidence: options.confidence }),
    calibrationBins: options.calibrationBins ?? 0,
  };
}

/** A series exactly (a version and a node, '' for none). */
export interface ExactSeries {
  readonly modelName: string;
  readonly version?: string;
  readonly node?: string;
}

/** What `compareVersions` compares. */
export interface CompareVersionsInput {
  readonly baseline: ExactSeries;
  readonly candidate: ExactSeries;
  readonly window: TimeWindow;
  readonly segment?: { readonly name: string; readonly value: string };
  /** e.g. `accuracy`, `macro_f1`, `mae` (unset: the task's default). */
  readonly metric?: string;
  /** `mcnemar_exact`, `mcnemar_chi2`, `mcnemar_chi2_corrected` or `bootstrap` (unset: the metric's default). */
  readonly test?: string;
  readonly alpha?: number;
  readonly power?: number;
  readonly resamples?: number;
  readonly seed?: number;
}

const exact = (s: ExactSeries): metricsV1.Series => ({
  modelName: s.modelName,
  modelVersion: s.version ?? '',
  node: s.node ?? '',
});

export function compareVersionsRequest(input: CompareVersionsInput): metricsV1.CompareVersionsRequest {
  return {
    baseline: exact(input.baseline),
    candidate: exact(input.candidate),
    ...timeWindowOf(input.window, 'window'),
    ...(input.segment !== undefined && { segment: { ...input.segment } }),
    metric: input.metric === undefined ? 0 : comparisonMetrics.value(input.metric, 'metric'),
    test: input.test === undefined ? 0 : comparisonTests.value(input.test, 'test'),
    ...(input.alpha !== undefined && { alpha: input.alpha }),
    ...(input.power !== undefined && { power: input.power }),
    resamples: input.resamples ?? 0,
    ...(input.seed !== undefined && { seed: BigInt(input.seed) }),
  };
}

/** An annotation queue's settings. */
export interface AnnotationQueueInput {
  readonly modelName: string;
  readonly version?: string;
  readonly node?: string;
  /** `uniform`, `least_confident`, `outliers_first` or `shadow_disagreement`. */
  readonly policy: string;
  readonly sampleRate?: number;
  readonly capacity?: number;
  /** shadow_disagreement: the shadow's node or model name. */
  readonly shadow?: string;
  /** outliers_first: the outlier detector's name. */
  readonly outlierDetector?: string;
  readonly itemTtlMs?: number;
}

export function annotationQueueMessage(input: AnnotationQueueInput): metricsV1.AnnotationQueue {
  return {
    modelName: input.modelName,
    ...(input.version !== undefined && { modelVersion: input.version }),
    ...(input.node !== undefined && { node: input.node }),
    policy: annotationPolicies.value(input.policy, 'policy'),
    ...(input.sampleRate !== undefined && { sampleRate: input.sampleRate }),
    capacity: input.capacity ?? 0,
    shadow: input.shadow ?? '',
    outlierDetector: input.outlierDetector ?? '',
    ...(input.itemTtlMs !== undefined && { itemTtl: durationOf(input.itemTtlMs, 'itemTtlMs') }),
  };
}

/** An annotator's answer: a label, values, a reward, or a skip. */
export type AnnotationAnswer =
  | { readonly label: string }
  | { readonly values: readonly number[] }
  | { readonly reward: number }
  | { readonly skip: true };

export function answerOf(
  answer: AnnotationAnswer,
): Pick<metricsV1.AnswerAnnotationItemRequest, 'label' | 'values' | 'reward' | 'skip'> {
  if ('label' in answer) return { label: answer.label };
  if ('values' in answer) return { values: { values: [...answer.values] } };
  if ('reward' in answer) return { reward: answer.reward };
  return { skip: true };
}

/** An alert rule's settings. */
export interface AlertRuleInput {
  readonly name: string;
  readonly modelName: string;
  readonly version?: string;
  readonly node?: string;
  /** A segment value, or a name with value '' for one alert per value. */
  readonly segment?: { readonly name: string; readonly value: string };
  /** AlertMetric's names in lower case: `accuracy`, `macro_f1`, `class_recall`, `mae`, `latency_p99`, ... */
  readonly metric: string;
  readonly classLabel?: string;
  /** `lt`, `le`, `gt` or `ge`. */
  readonly comparison: string;
  readonly threshold: number;
  readonly windowMs?: number;
  readonly minSamples?: number;
  readonly forMs?: number;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly useInterval?: boolean;
  readonly confidence?: number;
  readonly reference?: { readonly from: TimeInput; readonly to: TimeInput };
  /** `ddm`, `adwin` or `page_hinkley` (concept_drift_state only). */
  readonly conceptDriftDetector?: string;
}

export function alertRuleMessage(input: AlertRuleInput): metricsV1.AlertRule {
  return {
    name: input.name,
    series: selectorMessage({
      modelName: input.modelName,
      ...(input.version !== undefined && { version: input.version }),
      ...(input.node !== undefined && { node: input.node }),
    }),
    ...(input.segment !== undefined && { segment: { ...input.segment } }),
    metric: alertMetrics.value(input.metric, 'metric'),
    classLabel: input.classLabel ?? '',
    comparison: alertComparisons.value(input.comparison, 'comparison'),
    threshold: input.threshold,
    ...(input.windowMs !== undefined && { window: durationOf(input.windowMs, 'windowMs') }),
    minSamples: BigInt(input.minSamples ?? 0),
    ...(input.forMs !== undefined && { forDuration: durationOf(input.forMs, 'forMs') }),
    labels: { ...(input.labels ?? {}) },
    annotations: { ...(input.annotations ?? {}) },
    useInterval: input.useInterval ?? false,
    ...(input.confidence !== undefined && { confidence: input.confidence }),
    ...(input.reference !== undefined && { reference: rangeOf(input.reference.from, input.reference.to) }),
    conceptDriftDetector:
      input.conceptDriftDetector === undefined
        ? 0
        : conceptDriftDetectors.value(input.conceptDriftDetector, 'conceptDriftDetector'),
  };
}
