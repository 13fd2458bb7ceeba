/**
 * SendFeedback's messages and the data plane's domain forms: items in (tensors decoded with
 * @sightline/tensor's limits), outcomes out.
 */
import { metricsV1 } from '@sightline/contracts';
import { decodeTensorMessages, type TensorDecodeLimits } from '@sightline/tensor';
import type { FeedbackItemInput, TruthInput } from '../service/feedback-form.js';
import type { SendFeedbackResult } from '../service/metrics-data-plane.js';
import type { FeedbackStatus } from '../store/metrics-store.js';

/** A feedback row's status as the contract numbers it. */
export const FEEDBACK_STATUS_MESSAGES: Readonly<Record<FeedbackStatus, metricsV1.FeedbackStatus>> = {
  joined: metricsV1.FeedbackStatus.FEEDBACK_STATUS_JOINED,
  pending: metricsV1.FeedbackStatus.FEEDBACK_STATUS_PENDING,
  outranked: metricsV1.FeedbackStatus.FEEDBACK_STATUS_OUTRANKED,
  unchanged: metricsV1.FeedbackStatus.FEEDBACK_STATUS_UNCHANGED,
  replaced: metricsV1.FeedbackStatus.FEEDBACK_STATUS_REPLACED,
  rejected: metricsV1.FeedbackStatus.FEEDBACK_STATUS_REJECTED,
};

function truthOf(
  item: metricsV1.FeedbackItem,
  i: number,
  limits: Partial<TensorDecodeLimits>,
): TruthInput | undefined {
  if (item.label !== undefined) return { kind: 'label', label: item.label };
  if (item.values !== undefined) return { kind: 'values', values: item.values.values };
  if (item.reward !== undefined) return { kind: 'reward', reward: item.reward };
  if (item.labels !== undefined) return { kind: 'labels', labels: item.labels.labels };
  if (item.tensor !== undefined) {
    const [tensor] = decodeTensorMessages([item.tensor], 'tensor', limits);
    return { kind: 'tensor', tensor: tensor! };
  }
  void i;
  return undefined;
}

/** The request's items in the data plane's form. */
export function feedbackItemsFromMessage(
  request: metricsV1.SendFeedbackRequest,
  limits: Partial<TensorDecodeLimits>,
): FeedbackItemInput[] {
  return request.items.map((item, i) => {
    const truth = truthOf(item, i, limits);
    return {
      requestId: item.requestId,
      ...(item.row !== undefined && { row: item.row }),
      modelName: item.modelName,
      ...(truth !== undefined && { truth }),
      ...(item.observeTime !== undefined && { observeTimeMs: item.observeTime.getTime() }),
    };
  });
}

/** The data plane's result as the response. */
export function feedbackResponse(result: SendFeedbackResult): metricsV1.SendFeedbackResponse {
  return {
    outcomes: result.outcomes.map((o) => ({
      item: o.item,
      row: o.row,
      status: FEEDBACK_STATUS_MESSAGES[o.status] ?? metricsV1.FeedbackStatus.FEEDBACK_STATUS_UNSPECIFIED,
      reason: o.reason,
      pairs: o.pairs,
    })),
    joined: result.joined,
    pending: result.pending,
    unchanged: result.unchanged,
    replaced: result.replaced,
    rejected: result.rejected,
    pairs: result.pairs,
  };
}
