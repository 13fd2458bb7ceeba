import { describe, expect, it } from 'vitest';
import { BudgetExhaustedError } from '../method.js';
import { functionEvaluator } from './function-evaluator.js';

const double = (rows: Float64Array, count: number) =>
  Float64Array.from({ length: count }, (_, r) => 2 * rows[r * 2]!);

describe('functionEvaluator', () => {
  it('splits a batch into calls of at most rowsPerCall rows and counts them', async () => {
    const sizes: number[] = [];
    const evaluator = functionEvaluator(
      (rows, count) => {
        sizes.push(count);
        return double(rows, count);
      },
      { featureCount: 2, outputCount: 1, rowsPerCall: 3 },
    );
    const out = await evaluator.evaluate(Float64Array.of(1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0));
    expect(Array.from(out)).toEqual([2, 4, 6, 8, 10, 12, 14]);
    expect(sizes).toEqual([3, 3, 1]);
    expect([evaluator.calls, evaluator.rows, evaluator.batches]).toEqual([3, 7, 1]);
  });

  it('refuses a batch the call or row budget cannot afford, before any call', async () => {
    const evaluator = functionEvaluator(double, {
      featureCount: 2,
      outputCount: 1,
      rowsPerCall: 2,
      maxCalls: 2,
    });
    await evaluator.evaluate(new Float64Array(4));
    const refused = evaluator.evaluate(new Float64Array(6));
    await expect(refused).rejects.toBeInstanceOf(BudgetExhaustedError);
    await expect(refused).rejects.toMatchObject({ reason: 'calls' });
    expect(evaluator.calls).toBe(1);
    const rows = functionEvaluator(double, { featureCount: 2, outputCount: 1, maxRows: 3 });
    await expect(rows.evaluate(new Float64Array(8))).rejects.toMatchObject({ reason: 'rows' });
    expect(rows.rows).toBe(0);
  });

  it('answers exhausted() once told, and then refuses every batch', async () => {
    const evaluator = functionEvaluator(double, { featureCount: 2, outputCount: 1 });
    expect(evaluator.exhausted()).toBeUndefined();
    evaluator.exhaust('cancelled');
    expect(evaluator.exhausted()).toBe('cancelled');
    await expect(evaluator.evaluate(new Float64Array(2))).rejects.toMatchObject({ reason: 'cancelled' });
  });

  it('refuses partial rows and a model answering the wrong number of values', async () => {
    const evaluator = functionEvaluator(double, { featureCount: 2, outputCount: 1 });
    await expect(evaluator.evaluate(new Float64Array(3))).rejects.toThrow(RangeError);
    const wrong = functionEvaluator(() => new Float64Array(1), { featureCount: 2, outputCount: 1 });
    await expect(wrong.evaluate(new Float64Array(4))).rejects.toThrow(/answered 1 values for 2 rows/);
  });
});
