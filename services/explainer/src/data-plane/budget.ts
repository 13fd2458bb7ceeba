/**
 * An explanation's budget: model calls, rows per call and time, from the request's Budget,
 * else the caller's deadline, else the service's defaults (decision 7 of
 * docs/design/explainer-contract.md).
 */
import { InvalidArgumentError } from '@sightline/errors';

/** Most ModelInfer calls a request may allow (contract). */
export const MAX_MODEL_CALLS_LIMIT = 1_000_000;
/** Most rows per call a request may ask for (contract). */
export const MAX_ROWS_PER_CALL_LIMIT = 100_000;
/** Longest time budget a request may ask for, in ms: 24 h (contract). */
export const MAX_TIMEOUT_MS = 86_400_000;

/** The request's Budget, 0 meaning "unset" as in the contract. */
export interface BudgetRequest {
  readonly maxModelCalls: number;
  readonly maxRowsPerCall: number;
  readonly timeoutMs: number;
  readonly onExhausted: 'partial' | 'fail';
}

/** The service's defaults. */
export interface BudgetDefaults {
  readonly maxModelCalls: number;
  readonly maxRowsPerCall: number;
  /** Kept back from the caller's deadline to answer in. */
  readonly deadlineMarginMs: number;
  /** The time budget without timeout_ms and deadline (Explain's or a job's). */
  readonly budgetMs: number;
}

/** A budget with every default applied. */
export interface ResolvedBudget {
  readonly maxModelCalls: number;
  readonly maxRowsPerCall: number;
  /** When the time budget ends, epoch ms. */
  readonly endsAtMs: number;
  /** The time budget in ms, and where it came from (for messages). */
  readonly timeMs: number;
  readonly timeSource: 'timeout_ms' | 'deadline' | 'default';
  /**
   * True when timeout_ms ends after the caller's deadline: the work stops at the deadline
   * less the margin and fails DEADLINE_EXCEEDED (rule "budget.deadline"), whatever
   * on_exhausted says.
   */
  readonly cannotFinish: boolean;
  readonly onExhausted: 'partial' | 'fail';
}

/**
 * Resolves `request` at `nowMs` for a call with deadline `deadlineMs` (undefined: none).
 *
 * @throws InvalidArgumentError for rules "budget.max_model_calls", "budget.max_rows_per_call", "budget.timeout_ms".
 */
export function resolveBudget(
  request: BudgetRequest,
  nowMs: number,
  deadlineMs: number | undefined,
  defaults: BudgetDefaults,
): ResolvedBudget {
  const bounded = (value: number, limit: number, field: string) => {
    if (!Number.isInteger(value) || value < 0 || value > limit) {
      throw new InvalidArgumentError(
        `budget.${field}: must be at most ${limit}, got ${value} (rule "budget.${field}")`,
      );
    }
    return value;
  };
  const maxModelCalls =
    bounded(request.maxModelCalls, MAX_MODEL_CALLS_LIMIT, 'max_model_calls') || defaults.maxModelCalls;
  const maxRowsPerCall =
    bounded(request.maxRowsPerCall, MAX_ROWS_PER_CALL_LIMIT, 'max_rows_per_call') || defaults.maxRowsPerCall;
  const timeoutMs = bounded(request.timeoutMs, MAX_TIMEOUT_MS, 'timeout_ms');
  const answerBy = deadlineMs === undefined ? undefined : deadlineMs - defaults.deadlineMarginMs;
  if (timeoutMs > 0) {
    const wanted = nowMs + timeoutMs;
    const cannotFinish = answerBy !== undefined && wanted > answerBy;
    return {
      maxModelCalls,
      maxRowsPerCall,
      endsAtMs: cannotFinish ? answerBy : wanted,
      timeMs: timeoutMs,
      timeSource: 'timeout_ms',
      cannotFinish,
      onExhausted: request.onExhausted,
    };
  }
  if (answerBy !== undefined) {
    return {
      maxModelCalls,
      maxRowsPerCall,
      endsAtMs: answerBy,
      timeMs: Math.max(0, answerBy - nowMs),
      timeSource: 'deadline',
      cannotFinish: false,
      onExhausted: request.onExhausted,
    };
  }
  return {
    maxModelCalls,
    maxRowsPerCall,
    endsAtMs: nowMs + defaults.budgetMs,
    timeMs: defaults.budgetMs,
    timeSource: 'default',
    cannotFinish: false,
    onExhausted: request.onExhausted,
  };
}
