/**
 * The backend-independent halves of the write calls: checking items before the transaction,
 * and running the join planner over what the backend loaded inside it.
 */
import type { FeedbackRecord, JoinedPair, PredictionRecord } from '../domain/records.js';
import { JoinPlanner, type LoadedState, type PlannedWrites } from './join-planner.js';
import type {
  FeedbackOutcome,
  ItemRejection,
  PredictionStatus,
  RecordFeedbackResult,
  RecordPredictionsResult,
} from './metrics-store.js';
import { feedbackProblem, predictionProblem } from './record-validation.js';
import { checkItemCount, type StoreLimits } from './store-limits.js';

/** A call's items that passed their checks, and what the backend must load for them. */
export interface PreparedCall<T> {
  readonly total: number;
  readonly valid: ReadonlyArray<{ readonly index: number; readonly item: T }>;
  readonly rejected: ItemRejection[];
  /** Distinct request ids of the valid items, sorted (lock order for PostgreSQL). */
  readonly requestIds: string[];
}

function prepare<T extends { readonly requestId: string }>(
  what: string,
  items: readonly T[],
  limits: StoreLimits,
  problemOf: (item: T) => { field: string; message: string } | undefined,
): PreparedCall<T> {
  checkItemCount(what, items.length, limits);
  const valid: { index: number; item: T }[] = [];
  const rejected: ItemRejection[] = [];
  for (const [index, item] of items.entries()) {
    const problem = problemOf(item);
    if (problem) rejected.push({ index, ...problem });
    else valid.push({ index, item });
  }
  const requestIds = [...new Set(valid.map((v) => v.item.requestId))].sort();
  return { total: items.length, valid, rejected, requestIds };
}

export const preparePredictions = (records: readonly PredictionRecord[], limits: StoreLimits) =>
  prepare('predictions', records, limits, (r) => predictionProblem(r, limits));

export const prepareFeedback = (items: readonly FeedbackRecord[], limits: StoreLimits, nowMs: number) =>
  prepare('feedback', items, limits, (f) => feedbackProblem(f, limits, nowMs));

/** The new pairs and counts of a prediction call, and the rows to write. */
export function planPredictions(
  call: PreparedCall<PredictionRecord>,
  state: LoadedState,
  nowMs: number,
  limits: StoreLimits,
  refuteTruths = true,
): { result: RecordPredictionsResult; writes: PlannedWrites } {
  const planner = new JoinPlanner(state, nowMs, limits.maxPredictionsPerRequest, refuteTruths);
  let recorded = 0;
  let duplicates = 0;
  const pairs: JoinedPair[] = [];
  const statuses: PredictionStatus[] = new Array(call.total).fill('rejected');
  const rejected = [...call.rejected];
  for (const { index, item } of call.valid) {
    const made = planner.addPrediction(item);
    if (!Array.isArray(made) && made !== 'duplicate') {
      rejected.push({ index, ...made });
    } else if (made === 'duplicate') {
      duplicates++;
      statuses[index] = 'duplicate';
    } else {
      recorded++;
      statuses[index] = 'recorded';
      pairs.push(...made);
    }
  }
  return {
    result: { recorded, duplicates, rejected: rejected.sort((a, b) => a.index - b.index), statuses, pairs },
    writes: planner.writes,
  };
}

const REJECTED: FeedbackOutcome = Object.freeze({ status: 'rejected', pairs: [], replaced: [] });

/** The outcome of every feedback item, and the rows to write. */
export function planFeedback(
  call: PreparedCall<FeedbackRecord>,
  state: LoadedState,
  nowMs: number,
  limits: StoreLimits,
  refuteTruths = true,
): { result: RecordFeedbackResult; writes: PlannedWrites } {
  const planner = new JoinPlanner(state, nowMs, limits.maxPredictionsPerRequest, refuteTruths);
  const outcomes: FeedbackOutcome[] = new Array(call.total).fill(REJECTED);
  const rejected = [...call.rejected];
  for (const { index, item } of call.valid) {
    const outcome = planner.addFeedback(item);
    if ('status' in outcome) outcomes[index] = outcome;
    else rejected.push({ index, ...outcome });
  }
  rejected.sort((a, b) => a.index - b.index);
  return { result: { outcomes, rejected }, writes: planner.writes };
}
