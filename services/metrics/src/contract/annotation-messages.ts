/**
 * Annotation messages <-> the annotation domain's plain data (src/annotation). Field names in
 * errors are the proto's (snake_case), as callers see them.
 */
import { type commonV1, metricsV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import type {
  AnnotationAnswer,
  AnnotationFeedbackOutcome,
  AnnotationItemStateName,
  AnnotationItemView,
  AnnotationPolicyName,
  PredictedRowView,
  QueueSettingsInput,
  QueueView,
} from '../annotation/annotation-types.js';
import { FEEDBACK_STATUS_MESSAGES } from './feedback-messages.js';

const { AnnotationItemState, AnnotationPolicy } = metricsV1;

const POLICIES: ReadonlyMap<metricsV1.AnnotationPolicy, AnnotationPolicyName> = new Map([
  [AnnotationPolicy.ANNOTATION_POLICY_UNIFORM, 'uniform'],
  [AnnotationPolicy.ANNOTATION_POLICY_LEAST_CONFIDENT, 'least_confident'],
  [AnnotationPolicy.ANNOTATION_POLICY_OUTLIERS_FIRST, 'outliers_first'],
  [AnnotationPolicy.ANNOTATION_POLICY_SHADOW_DISAGREEMENT, 'shadow_disagreement'],
]);
const POLICY_MESSAGES = new Map([...POLICIES].map(([message, name]) => [name, message]));

const STATES: ReadonlyMap<metricsV1.AnnotationItemState, AnnotationItemStateName> = new Map([
  [AnnotationItemState.ANNOTATION_ITEM_STATE_OPEN, 'open'],
  [AnnotationItemState.ANNOTATION_ITEM_STATE_LEASED, 'leased'],
  [AnnotationItemState.ANNOTATION_ITEM_STATE_ANSWERED, 'answered'],
  [AnnotationItemState.ANNOTATION_ITEM_STATE_SKIPPED, 'skipped'],
]);
const STATE_MESSAGES = new Map([...STATES].map(([message, name]) => [name, message]));

const FEEDBACK_STATUSES = FEEDBACK_STATUS_MESSAGES;

interface DurationMessage {
  seconds: bigint;
  nanos: number;
}

/** A Duration message in ms (unset: undefined). */
export function durationMs(duration: DurationMessage | undefined): number | undefined {
  if (!duration) return undefined;
  return Number(duration.seconds) * 1000 + Math.floor(duration.nanos / 1e6);
}

function durationOf(ms: number): DurationMessage {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1e6 };
}

/** PutAnnotationQueue's queue as domain settings (output-only fields ignored). */
export function queueSettingsFromMessage(queue: metricsV1.AnnotationQueue | undefined): QueueSettingsInput {
  if (!queue) throw new InvalidArgumentError('queue: required');
  let policy: AnnotationPolicyName | undefined;
  if (queue.policy !== AnnotationPolicy.ANNOTATION_POLICY_UNSPECIFIED) {
    policy = POLICIES.get(queue.policy);
    if (!policy) throw new InvalidArgumentError(`queue.policy: unknown policy ${queue.policy}`);
  }
  const itemTtlMs = durationMs(queue.itemTtl);
  return {
    modelName: queue.modelName,
    ...(queue.modelVersion === undefined ? {} : { modelVersion: queue.modelVersion }),
    ...(queue.node === undefined ? {} : { node: queue.node }),
    policy,
    ...(queue.sampleRate === undefined ? {} : { sampleRate: queue.sampleRate }),
    capacity: queue.capacity,
    shadow: queue.shadow,
    outlierDetector: queue.outlierDetector,
    ...(itemTtlMs === undefined ? {} : { itemTtlMs }),
  };
}

export function queueToMessage(view: QueueView): metricsV1.AnnotationQueue {
  const s = view.settings;
  const c = view.counts;
  return {
    modelName: s.modelName,
    ...(s.modelVersion === undefined ? {} : { modelVersion: s.modelVersion }),
    ...(s.node === undefined ? {} : { node: s.node }),
    policy: POLICY_MESSAGES.get(s.policy) ?? AnnotationPolicy.ANNOTATION_POLICY_UNSPECIFIED,
    sampleRate: s.sampleRate,
    capacity: s.capacity,
    shadow: s.shadow,
    outlierDetector: s.outlierDetector,
    itemTtl: durationOf(s.itemTtlMs),
    createTime: new Date(view.createMs),
    updateTime: new Date(view.updateMs),
    counts: {
      open: BigInt(c.open),
      leased: BigInt(c.leased),
      answered: BigInt(c.answered),
      skipped: BigInt(c.skipped),
      dropped: BigInt(c.dropped),
      expired: BigInt(c.expired),
      labelledElsewhere: BigInt(c.labelledElsewhere),
    },
  };
}

/** ListAnnotationItems' states filter. */
export function statesFromMessage(
  states: readonly metricsV1.AnnotationItemState[],
): AnnotationItemStateName[] {
  return states.map((state, i) => {
    const name = STATES.get(state);
    if (!name) throw new InvalidArgumentError(`states[${i}]: unknown item state ${state}`);
    return name;
  });
}

function predictedRowToMessage(row: PredictedRowView): metricsV1.PredictedRow {
  return {
    label: row.label ?? '',
    probabilities: [...(row.probabilities ?? [])],
    classes: [...row.classes],
    values: [...(row.values ?? [])],
  };
}

export function itemToMessage(item: AnnotationItemView): metricsV1.AnnotationItem {
  return {
    itemId: item.itemId,
    series: { ...item.series },
    requestId: item.requestId,
    row: item.row,
    predictionTime: new Date(item.predictionMs),
    inputs: item.inputs.map(
      (input): commonV1.Tensor => ({
        name: input.name,
        datatype: input.datatype,
        shape: input.shape.map((d) => BigInt(d)),
        parameters: {},
        rawContents: Buffer.from(input.raw),
      }),
    ),
    inputsTruncated: item.inputsTruncated,
    prediction: predictedRowToMessage(item.prediction),
    ...(item.shadowPrediction ? { shadowPrediction: predictedRowToMessage(item.shadowPrediction) } : {}),
    reason: {
      policy: POLICY_MESSAGES.get(item.reason.policy) ?? AnnotationPolicy.ANNOTATION_POLICY_UNSPECIFIED,
      score: item.reason.score,
      explanation: item.reason.explanation,
    },
    state: STATE_MESSAGES.get(item.state) ?? AnnotationItemState.ANNOTATION_ITEM_STATE_UNSPECIFIED,
    annotator: item.annotator,
    ...(item.leaseExpireMs === undefined ? {} : { leaseExpireTime: new Date(item.leaseExpireMs) }),
    createTime: new Date(item.createMs),
  };
}

/** The answer of AnswerAnnotationItem: exactly one of label, values, reward and skip (rule "answer.set"). */
export function answerFromMessage(req: metricsV1.AnswerAnnotationItemRequest): AnnotationAnswer | undefined {
  const answers: AnnotationAnswer[] = [];
  if (req.label !== undefined) answers.push({ kind: 'truth', truth: { kind: 'label', label: req.label } });
  if (req.values !== undefined)
    answers.push({ kind: 'truth', truth: { kind: 'value', values: req.values.values } });
  if (req.reward !== undefined)
    answers.push({ kind: 'truth', truth: { kind: 'reward', reward: req.reward } });
  if (req.skip === true) answers.push({ kind: 'skip' });
  if (answers.length > 1)
    throw new InvalidArgumentError(
      'answer: exactly one of label, values, reward and skip is required (rule "answer.set")',
    );
  return answers[0];
}

export function feedbackOutcomeToMessage(
  outcome: AnnotationFeedbackOutcome,
  row: number,
): metricsV1.FeedbackOutcome {
  return {
    item: 0,
    row,
    status: FEEDBACK_STATUSES[outcome.status],
    reason: outcome.reason ?? '',
    pairs: outcome.pairs,
  };
}
