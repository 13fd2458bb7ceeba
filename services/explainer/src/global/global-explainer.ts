/**
 * Global explanations (issue 13, decision 14): the stored events of a time range are read
 * through the router's EventService, a seeded uniform sample of at most max_rows of their
 * rows is kept, grouped by the model and version that answered, and each group's rows are
 * explained with the local method exactly as Explain explains instances (the data plane's
 * `explain`: method registry, V2 row evaluator with batched calls, budget, trace headers), in
 * chunks of at most --max-instances rows; their attributions are aggregated per group, output
 * column and feature.
 *
 * Versions: a MODEL target is called at each group's version, so a rollout's old and new
 * versions are each explained by themselves; a group whose version the model-server no
 * longer serves (NOT_FOUND), or whose stored inputs do not fit the target's metadata, is
 * reported with the reason and the other groups go on. A GRAPH target is called as the graph
 * for every group (the router picks the version); groups still split the rows by the version
 * that answered them when they were served.
 *
 * One budget covers the whole run: the time budget (timeout_ms, else --default-job-budget-ms)
 * and the model calls are shared by the chunks; when either runs out, or the job is
 * cancelled, the rows explained so far make a partial result (usage.complete false).
 */
import {
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  isSightlineError,
  ResourceExhaustedError,
} from '@sightline/errors';
import { seededRandom } from '@sightline/stats';
import { splitBatch, type Tensor } from '@sightline/tensor';
import type { ResolvedBudget } from '../data-plane/budget.js';
import { resolveBudget } from '../data-plane/budget.js';
import type {
  ExplainCall,
  ExplainInput,
  ExplainOutcome,
  ExplainProgress,
  ExplainUsage,
  TargetRequest,
} from '../data-plane/explain-types.js';
import { derivedSeed, type ExplainerDataPlane } from '../data-plane/explainer-data-plane.js';
import type { MethodEntry } from '../data-plane/method-registry.js';
import type { StoredEventInputs } from '../data-plane/stored-events.js';
import { AttributionAggregate } from './attribution-aggregate.js';
import {
  eventRowCount,
  groupRows,
  type RowGroup,
  rowsAsTensors,
  type SampledRow,
  sampledRow,
} from './event-groups.js';
import {
  GLOBAL_METHODS,
  type GlobalGroup,
  type GlobalInput,
  type GlobalOutcome,
  type GlobalProgress,
  MAX_GLOBAL_MATCHING_EVENTS,
  MAX_GLOBAL_MAX_ROWS,
} from './global-types.js';
import { RowReservoir } from './row-reservoir.js';

/** The service's settings a global explanation uses. */
export interface GlobalLimits {
  /** Rows per local explanation (--max-instances): the chunk size. */
  readonly maxInstances: number;
  readonly defaultMaxModelCalls: number;
  readonly defaultMaxRowsPerCall: number;
  readonly defaultJobBudgetMs: number;
}

export interface GlobalExplainerOptions {
  readonly plane: ExplainerDataPlane;
  /** The router's EventService; undefined: global explanations are FAILED_PRECONDITION. */
  readonly storedEvents: StoredEventInputs | undefined;
  readonly limits: GlobalLimits;
  readonly now?: () => number;
}

/** A global call's circumstances (always a job: no caller deadline). */
export interface GlobalCall {
  readonly cancellation: ExplainCall['cancellation'];
  readonly traceHeaders?: Readonly<Record<string, string>>;
  readonly onProgress?: (progress: GlobalProgress) => void;
}

/** The checks a submit makes before the job is queued (rules "target.set", "range.set", "method.set", "max_rows"). */
export function checkGlobalInput(
  input: GlobalInput,
  methodEntry: (method: GlobalInput['method']) => MethodEntry<unknown, unknown>,
): MethodEntry<unknown, unknown> {
  if (!input.target) throw new InvalidArgumentError('target: required (rule "target.set")');
  if (input.target.modelName === '') {
    throw new InvalidArgumentError('target.model_name: required (rule "target.model_name_set")');
  }
  if (!input.range) {
    throw new InvalidArgumentError('range: required (rule "range.set")');
  }
  if (!input.method || GLOBAL_METHODS[input.method.key] === undefined) {
    throw new InvalidArgumentError(
      `method: exactly one of ${Object.values(GLOBAL_METHODS).join(', ')} is required (rule "method.set")`,
    );
  }
  if (!Number.isInteger(input.maxRows) || input.maxRows < 1 || input.maxRows > MAX_GLOBAL_MAX_ROWS) {
    throw new InvalidArgumentError(
      `max_rows: must be between 1 and ${MAX_GLOBAL_MAX_ROWS}, got ${input.maxRows} (rule "max_rows")`,
    );
  }
  const entry = methodEntry(input.method);
  if (!entry.attributionsOf) {
    throw new FailedPreconditionError(
      `method ${entry.field}: this explainer's ${entry.field} gives no per-feature attributions to aggregate`,
    );
  }
  return entry;
}

/** Whether `error` is a spent budget the data plane answered instead of a partial result. */
function isSpentBudget(error: unknown): boolean {
  return (
    isSightlineError(error) &&
    (error.code === 'DEADLINE_EXCEEDED' || error.code === 'RESOURCE_EXHAUSTED') &&
    error.message.startsWith('budget.')
  );
}

const EMPTY_USAGE: ExplainUsage = {
  modelCalls: 0,
  rowsEvaluated: 0,
  elapsedMs: 0,
  complete: false,
  incompleteReason: '',
  cacheHit: false,
  inputHash: '',
  backend: '',
};

/** Runs global explanations over one data plane. */
export class GlobalExplainer {
  private readonly now: () => number;

  constructor(private readonly options: GlobalExplainerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The submit-time checks (see {@link checkGlobalInput}). */
  check(input: GlobalInput): MethodEntry<unknown, unknown> {
    return checkGlobalInput(input, (method) => this.options.plane.methodEntry(method));
  }

  /**
   * Explains `input`. Errors: INVALID_ARGUMENT, NOT_FOUND (an unknown graph; a model version
   * not served is its group's unavailable_reason instead), FAILED_PRECONDITION,
   * RESOURCE_EXHAUSTED (more than 1,000,000 matching events; calls spent with on_exhausted
   * FAIL), DEADLINE_EXCEEDED (time spent with on_exhausted FAIL), UNAVAILABLE, CANCELLED.
   */
  async explain(input: GlobalInput, call: GlobalCall): Promise<GlobalOutcome> {
    const started = this.now();
    const entry = this.check(input);
    const { limits } = this.options;
    const budget = resolveBudget(input.budget, started, undefined, {
      maxModelCalls: limits.defaultMaxModelCalls,
      maxRowsPerCall: limits.defaultMaxRowsPerCall,
      deadlineMarginMs: 0,
      budgetMs: limits.defaultJobBudgetMs,
    });
    const { sample, matched } = await this.readRows(input, budget, call);
    const groups = groupRows(sample);
    return new GlobalRun(
      this.options.plane,
      input,
      entry,
      budget,
      call,
      groups,
      matched,
      started,
      this.now,
    ).run(limits.maxInstances);
  }

  /** The range's events, counted, and a seeded uniform sample of their rows. */
  private async readRows(
    input: GlobalInput,
    budget: ResolvedBudget,
    call: GlobalCall,
  ): Promise<{ sample: readonly SampledRow[]; matched: number }> {
    const { storedEvents } = this.options;
    if (!storedEvents) {
      throw new FailedPreconditionError('global: this explainer has no --router to read stored events from');
    }
    const target = input.target!;
    const range = input.range!;
    const reservoir = new RowReservoir<SampledRow>(
      input.maxRows,
      seededRandom(derivedSeed(input.seed, 'global:rows')),
    );
    let sequence = 0;
    let read = 0;
    const scan = storedEvents.scan(
      {
        modelName: input.selector.modelName || (target.kind === 'model' ? target.modelName : ''),
        modelVersion: input.selector.modelVersion,
        graph: input.selector.graph || (target.kind === 'graph' ? target.modelName : ''),
        fromUnixMs: range.fromUnixMs,
        toUnixMs: range.toUnixMs,
        // One more than allowed, to tell "exactly the most" from "too many".
        maxEvents: MAX_GLOBAL_MATCHING_EVENTS + 1,
      },
      {
        deadlineMs: budget.endsAtMs,
        cancellation: call.cancellation,
        ...(call.traceHeaders ? { traceHeaders: call.traceHeaders } : {}),
      },
      (event) => {
        read += 1;
        const rows = eventRowCount(event);
        for (let row = 0; row < rows; row++) {
          const at = sequence++;
          reservoir.offer(() => sampledRow(event, row, at));
        }
      },
    );
    let matched: number;
    try {
      matched = await scan;
    } catch (error) {
      // The range took the whole time budget to read: say so, not the transport's words.
      if (isSightlineError(error) && error.code === 'DEADLINE_EXCEEDED' && this.now() >= budget.endsAtMs) {
        throw new DeadlineExceededError(
          `budget.timeout_ms: ${budget.timeMs} ms spent reading the range's events (${read} read); narrow the range or give the job more time`,
          { cause: error },
        );
      }
      throw error;
    }
    if (matched > MAX_GLOBAL_MATCHING_EVENTS) {
      throw new ResourceExhaustedError(
        `range: more than ${MAX_GLOBAL_MATCHING_EVENTS} events match the selector in the range; narrow the range or the selector (rule "range.max_events")`,
      );
    }
    return { sample: reservoir.items(), matched };
  }
}

/** One run: the groups explained chunk by chunk, within the shared budget. */
class GlobalRun {
  private readonly aggregates: AttributionAggregate[] = [];
  private readonly reasons: string[];
  private readonly total: number;
  private rowsDone = 0;
  private chunkProgress: ExplainProgress | undefined;
  private sample: ExplainOutcome | undefined;
  private modelCalls = 0;
  private rowsEvaluated = 0;
  private backend = '';
  private incompleteReason = '';
  private incomplete = false;

  constructor(
    private readonly plane: ExplainerDataPlane,
    private readonly input: GlobalInput,
    private readonly entry: MethodEntry<unknown, unknown>,
    private readonly budget: ResolvedBudget,
    private readonly call: GlobalCall,
    private readonly groups: readonly RowGroup[],
    private readonly matched: number,
    private readonly started: number,
    private readonly now: () => number,
  ) {
    this.reasons = groups.map(() => '');
    this.total = groups.reduce((n, g) => n + g.rows.length, 0);
  }

  async run(chunkSize: number): Promise<GlobalOutcome> {
    this.report();
    for (const [index, group] of this.groups.entries()) {
      if (this.incomplete) break;
      await this.explainGroup(index, group, chunkSize);
    }
    if (this.call.cancellation.cancelReason) {
      const reason = this.call.cancellation.cancelReason;
      throw isSightlineError(reason) ? reason : new CancelledError('the caller cancelled');
    }
    return this.outcome(!this.incomplete);
  }

  /** The answer so far (for a cancel or a failure: what was aggregated). */
  snapshot(): GlobalOutcome {
    return this.outcome(false);
  }

  private async explainGroup(index: number, group: RowGroup, chunkSize: number): Promise<void> {
    const target = this.input.target!;
    let batch: ReturnType<typeof rowsAsTensors>;
    try {
      batch = rowsAsTensors(group.rows, this.input.selector.tensors);
    } catch (error) {
      if (!(error instanceof InvalidArgumentError)) throw error;
      this.skipGroup(index, group, error.message);
      return;
    }
    this.rowsDone += batch.skipped;
    const rowCount = batch.used.length;
    for (let start = 0; start < rowCount; start += chunkSize) {
      const count = Math.min(chunkSize, rowCount - start);
      const remainingMs = this.budget.endsAtMs - this.now();
      const remainingCalls = this.budget.maxModelCalls - this.modelCalls;
      if (this.call.cancellation.cancelReason) return this.stop('cancelled');
      if (remainingMs <= 0) return this.spent(new DeadlineExceededError(this.timeReason()));
      if (remainingCalls <= 0)
        return this.spent(
          new ResourceExhaustedError(`budget.max_model_calls: ${this.budget.maxModelCalls} calls spent`),
        );
      const chunk: ExplainInput = {
        target: this.chunkTarget(target, group),
        instances: batch.tensors.map((t) => sliceRows(t, start, count)),
        background: this.input.background,
        featureNames: this.input.featureNames,
        categorical: new Map(),
        image: undefined,
        method: this.input.method,
        budget: {
          maxModelCalls: remainingCalls,
          maxRowsPerCall: this.budget.maxRowsPerCall,
          timeoutMs: Math.max(1, Math.ceil(remainingMs)),
          onExhausted: this.budget.onExhausted,
        },
        seed: this.input.seed,
        // Sampled rows are seldom asked for again; they would only push callers' entries out.
        cache: 'bypass',
        event: undefined,
      };
      let outcome: ExplainOutcome;
      try {
        outcome = await this.plane.explain(chunk, {
          deadlineMs: undefined,
          cancellation: this.call.cancellation,
          job: true,
          ...(this.call.traceHeaders ? { traceHeaders: this.call.traceHeaders } : {}),
          onProgress: (progress) => {
            this.chunkProgress = progress;
            this.report();
          },
        });
      } catch (error) {
        const partial = this.chunkProgress?.snapshot();
        this.chunkProgress = undefined;
        if (this.call.cancellation.cancelReason) {
          if (partial) this.add(partial, index);
          return this.stop('cancelled');
        }
        if (this.budget.onExhausted === 'partial' && isSpentBudget(error)) {
          if (partial) this.add(partial, index);
          return this.stop(this.runReason((error as Error).message));
        }
        if (start === 0 && this.isGroupUnavailable(error)) {
          this.skipGroup(index, group, (error as Error).message, rowCount);
          return;
        }
        throw error;
      }
      this.chunkProgress = undefined;
      this.add(outcome, index);
      this.rowsDone += count;
      if (!outcome.usage.complete) {
        return this.stop(this.runReason(outcome.usage.incompleteReason));
      }
      this.report();
    }
  }

  /** A MODEL target at the group's version; a GRAPH target as it is. */
  private chunkTarget(target: TargetRequest, group: RowGroup): TargetRequest {
    return target.kind === 'model' ? { ...target, modelVersion: group.modelVersion } : target;
  }

  /** A version the model-server no longer serves, or stored inputs the target's metadata refuses. */
  private isGroupUnavailable(error: unknown): boolean {
    if (!isSightlineError(error)) return false;
    if (error.code === 'NOT_FOUND') return this.input.target!.kind === 'model';
    return error.code === 'INVALID_ARGUMENT' && error.message.includes('(rule "instances.metadata")');
  }

  private skipGroup(index: number, group: RowGroup, message: string, rows = group.rows.length): void {
    this.reasons[index] = message.replace(/^instances/, 'stored inputs');
    this.rowsDone += rows;
    this.report();
  }

  /** Adds a chunk's complete rows to group `index` (its width is the first chunk's features). */
  private add(outcome: ExplainOutcome, index: number): void {
    this.sample ??= outcome;
    this.modelCalls += outcome.usage.modelCalls;
    this.rowsEvaluated += outcome.usage.rowsEvaluated;
    this.backend ||= outcome.usage.backend;
    let aggregate = this.aggregates[index];
    if (!aggregate) {
      aggregate = new AttributionAggregate(outcome.setup.space.featureCount);
      this.aggregates[index] = aggregate;
    }
    for (const row of outcome.rows) {
      if (!row.complete || row.result === undefined) continue;
      aggregate.add(this.entry.attributionsOf!(row.result, outcome.setup));
    }
  }

  /** A budget spent between chunks: the result so far, or with on_exhausted FAIL the error. */
  private spent(error: DeadlineExceededError | ResourceExhaustedError): void {
    if (this.budget.onExhausted === 'fail') throw error;
    this.stop(error.message);
  }

  private stop(reason: string): void {
    this.incomplete = true;
    this.incompleteReason ||= reason === 'cancelled' ? 'cancelled' : reason;
  }

  /** A chunk's reason in the whole run's terms: its budget was what was left of the run's. */
  private runReason(chunkReason: string): string {
    if (chunkReason.startsWith('budget.timeout_ms')) return this.timeReason();
    if (chunkReason.startsWith('budget.max_model_calls'))
      return `budget.max_model_calls: ${this.budget.maxModelCalls} calls spent`;
    return chunkReason.split(': ').slice(0, 2).join(': ') || 'budget';
  }

  private timeReason(): string {
    return this.budget.timeSource === 'timeout_ms'
      ? `budget.timeout_ms: ${this.budget.timeMs} ms spent`
      : `budget.timeout_ms: the default job budget of ${this.budget.timeMs} ms spent`;
  }

  private usage(complete: boolean): ExplainUsage {
    const chunk = this.chunkProgress?.usage;
    return {
      ...EMPTY_USAGE,
      modelCalls: this.modelCalls + (chunk?.modelCalls ?? 0),
      rowsEvaluated: this.rowsEvaluated + (chunk?.rowsEvaluated ?? 0),
      elapsedMs: this.now() - this.started,
      complete,
      incompleteReason: complete ? '' : this.incompleteReason,
      backend: this.backend,
    };
  }

  private report(): void {
    const chunkRows = this.chunkProgress?.rowsDone ?? 0;
    const chunkFraction = this.chunkProgress ? this.chunkProgress.fraction * this.chunkProgress.rows : 0;
    this.call.onProgress?.({
      rowsDone: this.rowsDone + chunkRows,
      rows: this.total,
      fraction: this.total === 0 ? 0 : Math.min(1, (this.rowsDone + chunkFraction) / this.total),
      usage: this.usage(false),
      snapshot: () => this.snapshot(),
    });
  }

  private outcome(complete: boolean): GlobalOutcome {
    const groups: GlobalGroup[] = this.groups.map((group, i) => {
      const aggregate = this.aggregates[i];
      return {
        modelName: group.modelName,
        modelVersion: group.modelVersion,
        rows: aggregate?.rows ?? 0,
        columns: aggregate?.importances() ?? [],
        unavailableReason: this.reasons[i]!,
      };
    });
    return {
      entry: this.entry,
      sample: this.sample,
      target: this.input.target!,
      seed: this.input.seed,
      groups,
      usage: this.usage(complete),
      eventsMatched: this.matched,
    };
  }
}

/** Rows [start, start + count) of a batch tensor (a view, no copy). */
function sliceRows(tensor: Tensor, start: number, count: number): Tensor {
  const rows = tensor.shape[0]!;
  if (start === 0 && count === rows) return tensor;
  return splitBatch(tensor, [start, count, rows - start - count])[1]!;
}
