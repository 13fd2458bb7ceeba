/**
 * The {@link RowEvaluator} over the V2 protocol: feature rows become tensors of the
 * instances' layout, sent in ModelInfer calls of at most the budget's rows per call (one call
 * per batch, never one per sample), each with the caller's deadline, cancellation and trace
 * context; the explained output comes back flattened to `outputCount` scores per row.
 */
import { type Cancellation, InvalidArgumentError, isSightlineError, quoteName } from '@sightline/errors';
import type { Tensor } from '@sightline/tensor';
import { BudgetExhaustedError, type ExhaustedReason, type RowEvaluator } from '../methods/method.js';
import type { ResolvedBudget } from './budget.js';
import { type RowLayout, rowsToTensors } from './instances.js';
import type { V2Endpoint } from './target-ports.js';

/** The output explained: which tensor, and which of its per-row columns. */
export interface ExplainedOutput {
  readonly name: string;
  /** Columns per row of the output tensor. */
  readonly columnCount: number;
  /** The columns returned, in order; undefined means every column. */
  readonly columns: readonly number[] | undefined;
}

/** The work an evaluator did. */
export interface EvaluatorUsage {
  readonly modelCalls: number;
  readonly rowsEvaluated: number;
  /** The version the target answered with (first non-empty), empty when it reported none. */
  readonly answeredVersion: string;
}

/** Reported after each model call (metrics). */
export type ModelCallObserver = (outcome: 'ok' | 'error', rows: number, seconds: number) => void;

export interface V2RowEvaluatorOptions {
  readonly endpoint: V2Endpoint;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly layout: RowLayout;
  readonly output: ExplainedOutput;
  readonly budget: ResolvedBudget;
  /** Rows per call: the budget's, capped by the target's max_batch_size. */
  readonly rowsPerCall: number;
  readonly cancellation: Cancellation;
  readonly traceHeaders?: Readonly<Record<string, string>>;
  /** The caller's deadline (epoch ms), undefined for none: no model call outlives it. */
  readonly callerDeadlineMs: number | undefined;
  readonly now?: () => number;
  readonly onCall?: ModelCallObserver;
}

/** Reads element `i` of a numeric tensor as a float64. */
function numberAt(tensor: Tensor): (i: number) => number {
  if (tensor.datatype === 'BYTES') {
    throw new InvalidArgumentError(
      `target.output_name: output ${quoteName(tensor.name)} is BYTES; a numeric output is required`,
    );
  }
  const data = tensor.data as ArrayLike<number | bigint>;
  return (i) => Number(data[i]);
}

/** A budgeted, batched RowEvaluator calling one V2 model or graph. */
export class V2RowEvaluator implements RowEvaluator {
  readonly featureCount: number;
  readonly outputCount: number;
  /** An evaluate of at most this many rows is one ModelInfer (methods size their batches by it). */
  readonly maxRowsPerCall: number | undefined;
  private calls = 0;
  private rows = 0;
  private version = '';
  private lastStop: string | undefined;
  private readonly now: () => number;

  constructor(private readonly options: V2RowEvaluatorOptions) {
    this.featureCount = options.layout.featureCount;
    this.outputCount = options.output.columns?.length ?? options.output.columnCount;
    this.maxRowsPerCall = Number.isFinite(options.rowsPerCall) ? options.rowsPerCall : undefined;
    this.now = options.now ?? Date.now;
  }

  /** The sentence of the last spent budget this evaluator threw (a method may catch it), if any. */
  get stopReason(): string | undefined {
    return this.lastStop;
  }

  get usage(): EvaluatorUsage {
    return { modelCalls: this.calls, rowsEvaluated: this.rows, answeredVersion: this.version };
  }

  exhausted(): ExhaustedReason | undefined {
    if (this.options.cancellation.cancelReason !== undefined) return 'cancelled';
    if (this.now() >= this.options.budget.endsAtMs) return 'time';
    return undefined;
  }

  /** The sentence of a spent budget, naming the limit (Usage.incomplete_reason). */
  private exhaustedError(
    reason: ExhaustedReason,
    needed?: { rows: number; calls: number },
  ): BudgetExhaustedError {
    const error = this.exhaustedErrorOf(reason, needed);
    this.lastStop = error.message;
    return error;
  }

  private exhaustedErrorOf(
    reason: ExhaustedReason,
    needed?: { rows: number; calls: number },
  ): BudgetExhaustedError {
    const budget = this.options.budget;
    switch (reason) {
      case 'cancelled':
        return new BudgetExhaustedError(reason, 'cancelled by the caller');
      case 'time':
        return new BudgetExhaustedError(
          reason,
          budget.timeSource === 'timeout_ms'
            ? `budget.timeout_ms: ${budget.timeMs} ms spent`
            : budget.timeSource === 'deadline'
              ? "budget.timeout_ms: the call's deadline (less the answer margin) reached"
              : `budget.timeout_ms: the default budget of ${budget.timeMs} ms spent`,
        );
      default:
        // A batch bigger than the calls left stops the work before they are all spent: say so,
        // or "1000 calls spent" would stand beside 2 model calls made.
        return new BudgetExhaustedError(
          reason,
          needed && this.calls + needed.calls > budget.maxModelCalls && this.calls < budget.maxModelCalls
            ? `budget.max_model_calls: the next batch of ${needed.rows} rows needs ${needed.calls} calls, ${budget.maxModelCalls - this.calls} of ${budget.maxModelCalls} are left`
            : `budget.max_model_calls: ${budget.maxModelCalls} calls spent`,
        );
    }
  }

  async evaluate(rows: Float64Array): Promise<Float64Array> {
    const f = this.featureCount;
    if (rows.length % f !== 0) {
      throw new RangeError(`evaluate: ${rows.length} values are not whole rows of ${f} features`);
    }
    const count = rows.length / f;
    const reason = this.exhausted();
    if (reason) throw this.exhaustedError(reason);
    const perCall = this.options.rowsPerCall;
    const needed = Math.ceil(count / perCall);
    if (this.calls + needed > this.options.budget.maxModelCalls)
      throw this.exhaustedError('calls', { rows: count, calls: needed });
    const out = new Float64Array(count * this.outputCount);
    for (let start = 0; start < count; start += perCall) {
      const batch = Math.min(perCall, count - start);
      const scores = await this.call(rows.subarray(start * f, (start + batch) * f), batch);
      out.set(scores, start * this.outputCount);
    }
    return out;
  }

  /** One ModelInfer of `count` rows; answers count × outputCount scores. */
  private async call(rows: Float64Array, count: number): Promise<Float64Array> {
    const { endpoint, modelName, modelVersion, layout, output, budget, cancellation } = this.options;
    const deadlineMs = Math.min(budget.endsAtMs, this.options.callerDeadlineMs ?? Number.POSITIVE_INFINITY);
    const started = this.now();
    this.calls += 1;
    this.rows += count;
    let answer: Awaited<ReturnType<V2Endpoint['infer']>>;
    try {
      answer = await endpoint.infer(
        modelName,
        modelVersion,
        rowsToTensors(layout, rows, count),
        [output.name],
        {
          deadlineMs,
          cancellation,
          ...(this.options.traceHeaders ? { traceHeaders: this.options.traceHeaders } : {}),
        },
      );
    } catch (error) {
      this.options.onCall?.('error', count, (this.now() - started) / 1000);
      // A call cut by the budget's end or the caller's cancel is a spent budget, not the model's failure.
      const reason = this.exhausted();
      if (
        reason &&
        isSightlineError(error) &&
        (error.code === 'DEADLINE_EXCEEDED' || error.code === 'CANCELLED')
      ) {
        throw this.exhaustedError(reason);
      }
      throw error;
    }
    this.options.onCall?.('ok', count, (this.now() - started) / 1000);
    if (!this.version && answer.modelVersion) this.version = answer.modelVersion;
    const tensor = answer.outputs.find((t) => t.name === output.name);
    if (!tensor) {
      throw new InvalidArgumentError(
        `target.output_name: the target answered no output ${quoteName(output.name)} (outputs: ${answer.outputs.map((t) => quoteName(t.name)).join(', ')})`,
      );
    }
    const columns = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
    if (tensor.shape[0] !== count || columns !== output.columnCount) {
      throw new InvalidArgumentError(
        `target.output_name: output ${quoteName(output.name)} answered shape [${tensor.shape.join(',')}] for ${count} rows; expected [${count},${output.columnCount}]`,
      );
    }
    const read = numberAt(tensor);
    const k = this.outputCount;
    const scores = new Float64Array(count * k);
    const selected = output.columns;
    for (let r = 0; r < count; r++) {
      for (let j = 0; j < k; j++) scores[r * k + j] = read(r * columns + (selected ? selected[j]! : j));
    }
    return scores;
  }
}
