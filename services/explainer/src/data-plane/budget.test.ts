import { describe, expect, it } from 'vitest';
import { resolveBudget } from './budget.js';

const defaults = { maxModelCalls: 1000, maxRowsPerCall: 1000, deadlineMarginMs: 50, budgetMs: 30_000 };
const request = { maxModelCalls: 0, maxRowsPerCall: 0, timeoutMs: 0, onExhausted: 'partial' as const };

describe('resolveBudget', () => {
  it('takes timeout_ms, else the deadline less the margin, else the default', () => {
    expect(resolveBudget({ ...request, timeoutMs: 500 }, 1000, 10_000, defaults)).toMatchObject({
      endsAtMs: 1500,
      timeSource: 'timeout_ms',
      cannotFinish: false,
    });
    expect(resolveBudget(request, 1000, 10_000, defaults)).toMatchObject({
      endsAtMs: 9950,
      timeSource: 'deadline',
    });
    expect(resolveBudget(request, 1000, undefined, defaults)).toMatchObject({
      endsAtMs: 31_000,
      timeSource: 'default',
    });
    expect(resolveBudget(request, 1000, undefined, defaults)).toMatchObject({
      maxModelCalls: 1000,
      maxRowsPerCall: 1000,
    });
  });

  it('stops a timeout_ms that ends after the deadline at the deadline less the margin, as one that cannot finish', () => {
    expect(resolveBudget({ ...request, timeoutMs: 60_000 }, 1000, 3000, defaults)).toMatchObject({
      endsAtMs: 2950,
      timeMs: 60_000,
      cannotFinish: true,
    });
  });

  it.each([
    [
      { maxModelCalls: 1_000_001 },
      'budget.max_model_calls: must be at most 1000000, got 1000001 (rule "budget.max_model_calls")',
    ],
    [
      { maxRowsPerCall: 100_001 },
      'budget.max_rows_per_call: must be at most 100000, got 100001 (rule "budget.max_rows_per_call")',
    ],
    [
      { timeoutMs: 86_400_001 },
      'budget.timeout_ms: must be at most 86400000, got 86400001 (rule "budget.timeout_ms")',
    ],
  ])('refuses %o', (over, message) => {
    expect(() => resolveBudget({ ...request, ...over }, 0, undefined, defaults)).toThrow(message);
  });
});
