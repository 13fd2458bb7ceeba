import { BudgetExhaustedError, type ExhaustedReason, type RowEvaluator } from '../method.js';

/** A plain model for tests: scores `count` rows (count × featureCount values) into count × outputCount values. */
export type RowFunction = (rows: Float64Array, count: number) => Float64Array | Promise<Float64Array>;

/** The budget of a {@link functionEvaluator}; every limit optional (unlimited). */
export interface FunctionEvaluatorOptions {
  readonly featureCount: number;
  readonly outputCount: number;
  /** Rows per model call (the service's rows per V2 call); default 1,000. */
  readonly rowsPerCall?: number;
  /** Model calls allowed in all. */
  readonly maxCalls?: number;
  /** Rows allowed in all. */
  readonly maxRows?: number;
}

/** A {@link RowEvaluator} with what it counted. */
export interface FunctionEvaluator extends RowEvaluator {
  /** Model calls made. */
  readonly calls: number;
  /** Rows scored. */
  readonly rows: number;
  /** evaluate() calls (batches) made. */
  readonly batches: number;
  /** Makes `exhausted()` answer `reason` from now on (a deadline or cancellation coming). */
  exhaust(reason: ExhaustedReason): void;
}

/** The default rows per model call, as the service's `--default-max-rows-per-call`. */
export const DEFAULT_TEST_ROWS_PER_CALL = 1000;

/**
 * The RowEvaluator of the methods' tests: a plain function behind the same contract as the
 * service's V2 evaluator. A batch is split into calls of at most `rowsPerCall` rows; before
 * the batch, if its calls or rows would pass the budget, it throws BudgetExhaustedError and
 * makes no call (all or nothing, so a test knows exactly what was scored).
 */
export function functionEvaluator(model: RowFunction, options: FunctionEvaluatorOptions): FunctionEvaluator {
  const { featureCount, outputCount } = options;
  const rowsPerCall = options.rowsPerCall ?? DEFAULT_TEST_ROWS_PER_CALL;
  if (!(Number.isInteger(rowsPerCall) && rowsPerCall >= 1)) {
    throw new RangeError(`functionEvaluator: rowsPerCall must be a positive integer, got ${rowsPerCall}`);
  }
  let calls = 0;
  let rows = 0;
  let batches = 0;
  let exhaustedBy: ExhaustedReason | undefined;
  return {
    featureCount,
    outputCount,
    get calls() {
      return calls;
    },
    get rows() {
      return rows;
    },
    get batches() {
      return batches;
    },
    exhaust(reason) {
      exhaustedBy = reason;
    },
    exhausted: () => exhaustedBy,
    async evaluate(values) {
      if (values.length % featureCount !== 0) {
        throw new RangeError(`evaluate: ${values.length} values is not whole rows of ${featureCount}`);
      }
      if (exhaustedBy !== undefined)
        throw new BudgetExhaustedError(exhaustedBy, `budget exhausted (${exhaustedBy})`);
      const count = values.length / featureCount;
      const needed = Math.ceil(count / rowsPerCall);
      if (options.maxCalls !== undefined && calls + needed > options.maxCalls) {
        throw new BudgetExhaustedError(
          'calls',
          `${needed} more calls would pass the budget of ${options.maxCalls}`,
        );
      }
      if (options.maxRows !== undefined && rows + count > options.maxRows) {
        throw new BudgetExhaustedError(
          'rows',
          `${count} more rows would pass the budget of ${options.maxRows}`,
        );
      }
      batches += 1;
      const out = new Float64Array(count * outputCount);
      for (let start = 0; start < count; start += rowsPerCall) {
        const n = Math.min(rowsPerCall, count - start);
        const scores = await model(values.subarray(start * featureCount, (start + n) * featureCount), n);
        if (scores.length !== n * outputCount) {
          throw new RangeError(
            `model answered ${scores.length} values for ${n} rows of ${outputCount} outputs`,
          );
        }
        out.set(scores, start * outputCount);
        calls += 1;
        rows += n;
      }
      return out;
    },
  };
}
