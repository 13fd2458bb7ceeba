/**
 * Checks of one prediction or feedback item before it is stored: the shared record rules
 * (src/domain/record-rules.ts, the windows apply the same) under the store's limits. A broken
 * item is refused alone (the rest of the call goes ahead), with the field and the rule it broke.
 */
import {
  feedbackRecordProblem,
  predictionRecordProblem,
  type RecordProblem,
} from '../domain/record-rules.js';
import type { FeedbackRecord, PredictionRecord } from '../domain/records.js';
import type { StoreLimits } from './store-limits.js';

/** The field an item broke and one sentence saying how. */
export type ItemProblem = RecordProblem;

/** The first rule `record` breaks, or undefined. */
export function predictionProblem(record: PredictionRecord, limits: StoreLimits): ItemProblem | undefined {
  return predictionRecordProblem(record, limits);
}

/**
 * The first rule `item` breaks on its own (the row is checked against the prediction later),
 * including a receivedMs more than `maxClockSkewMs` after `nowMs`: such feedback would never expire.
 */
export function feedbackProblem(
  item: FeedbackRecord,
  limits: StoreLimits,
  nowMs: number,
): ItemProblem | undefined {
  const problem = feedbackRecordProblem(item, limits);
  if (problem) return problem;
  if (item.receivedMs > nowMs + limits.maxClockSkewMs)
    return {
      field: 'receivedMs',
      message: `receivedMs: must not be more than ${limits.maxClockSkewMs} ms after now (${nowMs}), got ${item.receivedMs}.`,
    };
  return undefined;
}
