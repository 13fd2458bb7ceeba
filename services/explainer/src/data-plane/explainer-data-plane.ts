/**
 * The explainer's data-plane facade: every transport (gRPC, jobs) calls `explain`. It
 * resolves the target, checks the instances against its metadata, reduces the background,
 * reads the method's params, runs the method per row against a budgeted V2 RowEvaluator,
 * and answers the rows with their usage, from or into the cache (decision 9).
 */
import {
  CancelledError,
  DeadlineExceededError,
  FailedPreconditionError,
  InvalidArgumentError,
  isSightlineError,
  quoteName,
  ResourceExhaustedError,
  UnimplementedError,
} from '@sightline/errors';
import { seededRandom } from '@sightline/stats';
import type { Tensor } from '@sightline/tensor';
import { BudgetExhaustedError, type WeightedRows } from '../methods/method.js';
import { reduceBackground } from './background.js';
import { type ResolvedBudget, resolveBudget } from './budget.js';
import type {
  BackgroundEventsRequest,
  ExplainCall,
  ExplainInput,
  ExplainOutcome,
  ExplainUsage,
  ResolvedTarget,
  RowExplanation,
} from './explain-types.js';
import { canonicalJson, ExplanationCache, sha256Hex } from './explanation-cache.js';
import { buildFeatureSpace } from './feature-space.js';
import {
  checkTensorsAgainstMetadata,
  type FeatureRows,
  flattenRows,
  type RowLayout,
  rowsToTensors,
} from './instances.js';
import {
  CONTRACT_METHODS,
  type MethodEntry,
  type MethodRegistry,
  type MethodSetup,
} from './method-registry.js';
import { readStoredEvents, type StoredEventInputs } from './stored-events.js';
import type { TargetMetadata, UpstreamCallOptions, V2Endpoints } from './target-ports.js';
import { resolveTargetAddress, type TargetAddresses } from './target-resolution.js';
import { type ExplainedOutput, V2RowEvaluator } from './v2-row-evaluator.js';

/** The service's limits and defaults (its settings). */
export interface ExplainerLimits {
  readonly maxInstances: number;
  readonly maxTabularFeatures: number;
  readonly maxImageElements: number;
  readonly maxBackgroundRows: number;
  readonly defaultMaxModelCalls: number;
  readonly defaultMaxRowsPerCall: number;
  /** Input bytes per ModelInfer call (elements at 8 bytes); caps rows per call for wide rows. */
  readonly maxCallBytes: number;
  readonly deadlineMarginMs: number;
  readonly defaultBudgetMs: number;
  readonly defaultJobBudgetMs: number;
  readonly metadataTimeoutMs: number;
}

/** What the data plane reports (Prometheus). */
export interface ExplainObserver {
  modelCall(outcome: 'ok' | 'error', rows: number, seconds: number): void;
  explanation(method: string, outcome: 'complete' | 'partial' | 'cache_hit' | 'error', seconds: number): void;
}

/** Where ExplanationEvents go (--events-sink); answers the event ids, one per row. */
export interface ExplanationEventSink {
  emit(outcome: ExplainOutcome, link: ExplanationLink): string[];
}

/** What ties an explanation's events to the prediction explained. */
export interface ExplanationLink {
  readonly requestId: string;
  /** W3C trace id (32 lower-case hex digits), empty when none. */
  readonly traceId: string;
  /** The prediction's row of each instance row. */
  readonly predictionRows: readonly number[];
  readonly timeMs: number;
}

/** Each element counted as 8 bytes (FP64/INT64, the widest numeric type) when sizing a call. */
const BYTES_PER_ELEMENT_BOUND = 8;

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

export interface ExplainerDataPlaneOptions {
  readonly endpoints: V2Endpoints;
  readonly registry: MethodRegistry;
  readonly addresses: TargetAddresses;
  readonly limits: ExplainerLimits;
  /** Complete explanations kept (0: no cache). */
  readonly cacheEntries: number;
  /** --repository: where white-box methods load model files (undefined: not set). */
  readonly repository: string | undefined;
  readonly observer?: ExplainObserver;
  /** Stored events (the router's EventService), for background.events. */
  readonly storedEvents?: StoredEventInputs;
  /** The event sink; undefined when --events-sink is not set (event.store is then FAILED_PRECONDITION). */
  readonly events?: ExplanationEventSink;
  readonly now?: () => number;
}

/** A cached answer: everything but the usage's per-call figures. */
type CachedOutcome = Omit<ExplainOutcome, 'usage'> & { readonly usage: ExplainUsage };

/** A 32-bit seed drawn from the request's seed and a purpose, so each row's draws are its own. */
export function derivedSeed(seed: bigint, purpose: string): number {
  return Buffer.from(sha256Hex([`${seed}`, purpose]).slice(0, 8), 'hex').readInt32LE(0);
}

/** "2 of 5 instances explained (40% of the work), 48 model calls, 1000 ms". */
function progressText(
  rowsDone: number,
  rows: number,
  fraction: number,
  usage: { modelCalls: number; elapsedMs: number },
) {
  return `${rowsDone} of ${rows} instances explained (${Math.floor(fraction * 100)}% of the work), ${usage.modelCalls} model calls, ${usage.elapsedMs} ms`;
}

const product = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/** Explains rows of a model's or graph's predictions. */
export class ExplainerDataPlane {
  private readonly cache: ExplanationCache<CachedOutcome>;
  private readonly now: () => number;

  constructor(private readonly options: ExplainerDataPlaneOptions) {
    this.cache = new ExplanationCache(options.cacheEntries);
    this.now = options.now ?? Date.now;
  }

  /** The cached explanations held (tests, metrics). */
  get cachedCount(): number {
    return this.cache.size;
  }

  /** The registered entry of the request's method. @throws InvalidArgumentError "method.set", UnimplementedError for a contract method not built. */
  methodEntry(method: ExplainInput['method']): MethodEntry<unknown, unknown> {
    if (!method) {
      throw new InvalidArgumentError(
        `method: exactly one of ${Object.values(CONTRACT_METHODS).join(', ')} is required (rule "method.set")`,
      );
    }
    const entry = this.options.registry.get(method.key);
    if (!entry) {
      const field = CONTRACT_METHODS[method.key] ?? method.key;
      throw new UnimplementedError(`method ${field}: not available in this explainer`);
    }
    return entry;
  }

  /**
   * Explains `input`. Errors: INVALID_ARGUMENT, NOT_FOUND, FAILED_PRECONDITION,
   * RESOURCE_EXHAUSTED, UNAVAILABLE, DEADLINE_EXCEEDED (with the progress), CANCELLED.
   */
  async explain(input: ExplainInput, call: ExplainCall): Promise<ExplainOutcome> {
    const started = this.now();
    let methodName = CONTRACT_METHODS[input.method?.key ?? ''] ?? 'none';
    try {
      const computed = await this.run(input, call, started, (name) => {
        methodName = name;
      });
      const outcome = input.event?.store ? this.storeEvents(computed, input, call) : computed;
      this.options.observer?.explanation(
        methodName,
        outcome.usage.cacheHit ? 'cache_hit' : outcome.usage.complete ? 'complete' : 'partial',
        (this.now() - started) / 1000,
      );
      return outcome;
    } catch (error) {
      this.options.observer?.explanation(methodName, 'error', (this.now() - started) / 1000);
      throw error;
    }
  }

  private async run(
    input: ExplainInput,
    call: ExplainCall,
    started: number,
    named: (method: string) => void,
  ): Promise<ExplainOutcome> {
    const { limits } = this.options;
    const entry = this.methodEntry(input.method);
    named(entry.field);
    const address = resolveTargetAddress(input.target, this.options.addresses);
    const target = input.target!;
    if (input.instances.length === 0 || (input.instances[0]?.shape[0] ?? 0) === 0) {
      throw new InvalidArgumentError('instances: at least one row is required (rule "instances.rows_min")');
    }
    const rowCount = input.instances[0]!.shape[0]!;
    if (rowCount > limits.maxInstances) {
      throw new ResourceExhaustedError(
        `instances: ${rowCount} rows is above --max-instances ${limits.maxInstances}; send fewer or use StartExplanation per batch`,
      );
    }
    if (input.event?.store) {
      if (!this.options.events) {
        throw new FailedPreconditionError(
          'event.store: this explainer has no --events-sink to store explanations in',
        );
      }
      if (input.event.requestId === '') {
        throw new InvalidArgumentError('event.request_id: required with store (rule "event.request_id_set")');
      }
      if (input.event.traceparent !== '' && !TRACEPARENT.test(input.event.traceparent)) {
        throw new InvalidArgumentError(
          'event.traceparent: not a W3C traceparent (00-<32 hex>-<16 hex>-<2 hex>)',
        );
      }
      if (input.event.requestId.length > 256) {
        throw new InvalidArgumentError(
          `event.request_id: at most 256 characters, got ${input.event.requestId.length}`,
        );
      }
      if (input.event.predictionRows.length > 0 && input.event.predictionRows.length !== rowCount) {
        throw new InvalidArgumentError(
          `event.prediction_rows: expected ${rowCount} (one per instance row), got ${input.event.predictionRows.length} (rule "event.rows_count")`,
        );
      }
    }
    const budget = resolveBudget(input.budget, started, call.deadlineMs, {
      maxModelCalls: limits.defaultMaxModelCalls,
      maxRowsPerCall: limits.defaultMaxRowsPerCall,
      deadlineMarginMs: limits.deadlineMarginMs,
      budgetMs: call.job ? limits.defaultJobBudgetMs : limits.defaultBudgetMs,
    });
    const endpoint = this.options.endpoints.endpoint(address);
    const upstream: UpstreamCallOptions = {
      deadlineMs: Math.min(started + limits.metadataTimeoutMs, call.deadlineMs ?? Number.POSITIVE_INFINITY),
      cancellation: call.cancellation,
      ...(call.traceHeaders ? { traceHeaders: call.traceHeaders } : {}),
    };
    const metadata = await endpoint.metadata(target.modelName, target.modelVersion, upstream);
    const { layout } = checkTensorsAgainstMetadata(input.instances, metadata, 'instances');
    const featureLimit = entry.image ? limits.maxImageElements : limits.maxTabularFeatures;
    if (layout.featureCount > featureLimit) {
      throw new ResourceExhaustedError(
        `instances: ${layout.featureCount} features per row is above ${entry.image ? '--max-image-elements' : '--max-tabular-features'} ${featureLimit}`,
      );
    }
    const instances = flattenRows(input.instances, layout, 'instances');
    const space = buildFeatureSpace(layout, input.featureNames, input.categorical);
    const output = this.explainedOutput(target, metadata, entry);
    const setup: MethodSetup = {
      space,
      outputCount: output.columns?.length ?? output.columnCount,
      outputColumns: output.columns ?? Array.from({ length: output.columnCount }, (_, c) => c),
      layout,
      metadata,
      toTensors: (rows, count) => rowsToTensors(layout, rows, count),
      image: input.image,
      instanceRows: instances.count,
      targetIndices: target.targetIndices,
      rowsOf: (tensors, field) => {
        checkTensorsAgainstMetadata(tensors, metadata, field);
        return flattenRows(tensors, layout, field);
      },
      repository: this.options.repository,
    };
    const params = entry.readParams(input.method!.message, setup);
    if (entry.needsGradients(params)) this.checkGradients(entry, target, metadata);
    const background = await this.background(input, entry, params, layout, {
      deadlineMs: Math.min(budget.endsAtMs, call.deadlineMs ?? Number.POSITIVE_INFINITY),
      cancellation: call.cancellation,
      ...(call.traceHeaders ? { traceHeaders: call.traceHeaders } : {}),
    });
    const resolvedTarget: ResolvedTarget = {
      ...target,
      address,
      outputName: output.name,
      platform: metadata.platform,
    };

    // The version that will answer: the asked one, else the only one the target lists; a
    // target listing several (or none) is not cached, as the answering version is unknown.
    const keyVersion = target.modelVersion || (metadata.versions.length === 1 ? metadata.versions[0]! : '');
    const inputHash = this.inputHash(layout, instances.rows, input, background);
    const cacheKey = keyVersion
      ? canonicalJson({
          target: {
            kind: target.kind,
            address,
            name: target.modelName,
            output: output.name,
            indices: target.targetIndices,
          },
          version: keyVersion,
          method: entry.field,
          params: entry.paramsMessage(params),
          seed: input.seed,
          // Image methods read the ImageInput beside their params (tensor, layout, reduction).
          image: input.image ?? null,
          inputHash,
        })
      : undefined;
    if (cacheKey && input.cache === 'use') {
      const cached = this.cache.get(cacheKey);
      if (cached) {
        return {
          ...cached,
          usage: {
            ...cached.usage,
            modelCalls: 0,
            rowsEvaluated: 0,
            elapsedMs: this.now() - started,
            cacheHit: true,
          },
          eventIds: [],
        };
      }
    }

    const maxBatch =
      target.kind === 'model'
        ? await endpoint.maxBatchSize(target.modelName, target.modelVersion, upstream)
        : undefined;
    const evaluator = new V2RowEvaluator({
      endpoint,
      modelName: target.modelName,
      modelVersion: target.modelVersion,
      layout,
      output,
      budget,
      rowsPerCall: Math.min(
        budget.maxRowsPerCall,
        maxBatch ?? Number.POSITIVE_INFINITY,
        Math.max(
          1,
          Math.floor(limits.maxCallBytes / (BYTES_PER_ELEMENT_BOUND * Math.max(1, layout.featureCount))),
        ),
      ),
      cancellation: call.cancellation,
      ...(call.traceHeaders ? { traceHeaders: call.traceHeaders } : {}),
      callerDeadlineMs: call.deadlineMs,
      now: this.now,
      ...(this.options.observer
        ? { onCall: this.options.observer.modelCall.bind(this.options.observer) }
        : {}),
    });

    const f = layout.featureCount;
    const rows: RowExplanation[] = [];
    let incompleteReason = '';
    let currentFraction = 0;
    /** Where a white-box method computed (its rows' RowOutcome.backend), for Usage.backend. */
    let backend = '';
    const usageNow = (complete: boolean): ExplainUsage => ({
      modelCalls: evaluator.usage.modelCalls,
      rowsEvaluated: evaluator.usage.rowsEvaluated,
      elapsedMs: this.now() - started,
      complete,
      incompleteReason,
      cacheHit: false,
      inputHash,
      backend,
    });
    const answeredTarget = () => ({
      ...resolvedTarget,
      modelVersion: evaluator.usage.answeredVersion || target.modelVersion,
    });
    const report = () =>
      call.onProgress?.({
        rowsDone: rows.filter((r) => r.complete).length,
        rows: rowCount,
        // An incomplete row counts by its own fraction, not as a whole row done.
        fraction: (rows.reduce((sum, r) => sum + r.fractionDone, 0) + currentFraction) / rowCount,
        usage: usageNow(false),
        snapshot: () => ({
          entry,
          params,
          setup,
          target: answeredTarget(),
          seed: input.seed,
          backgroundRows: background?.count ?? 0,
          rows: [...rows],
          usage: usageNow(false),
          eventIds: [],
        }),
      });
    for (let row = 0; row < rowCount; row++) {
      currentFraction = 0;
      let answer: RowExplanation;
      try {
        const outcome = await entry.method.explainRow(instances.rows.slice(row * f, (row + 1) * f), params, {
          evaluator,
          space,
          background,
          random: seededRandom(derivedSeed(input.seed, `row:${row}`)),
          rowIndex: row,
          progress: (fraction) => {
            currentFraction = Math.min(1, Math.max(0, fraction));
            report();
          },
        });
        backend ||= outcome.backend ?? '';
        answer = {
          row,
          // A row the budget stopped before anything was measured (fraction 0) has no
          // result: an empty one would pass for an answer (decision 7).
          result: !outcome.complete && outcome.fractionDone <= 0 ? undefined : outcome.result,
          complete: outcome.complete,
          fractionDone: outcome.fractionDone,
        };
      } catch (error) {
        // A method should turn a spent budget into a partial outcome; one that lets it
        // escape has no result for this row.
        if (!(error instanceof BudgetExhaustedError)) throw error;
        answer = { row, result: undefined, complete: false, fractionDone: currentFraction };
        incompleteReason ||= error.message;
      }
      if (!answer.complete && !incompleteReason) {
        const reason = evaluator.exhausted();
        incompleteReason =
          reason === 'cancelled'
            ? 'cancelled'
            : reason === 'time'
              ? budget.timeSource === 'timeout_ms'
                ? `budget.timeout_ms: ${budget.timeMs} ms spent`
                : "budget.timeout_ms: the call's deadline (less the answer margin) reached"
              : (evaluator.stopReason ?? `budget.max_model_calls: ${budget.maxModelCalls} calls spent`);
      }
      rows.push(answer);
      currentFraction = 0;
      report();
    }

    const complete = rows.every((r) => r.complete);
    const usage = usageNow(complete);
    this.failIfUnanswerable(rows, rowCount, budget, usage, call);
    const outcome: ExplainOutcome = {
      entry,
      params,
      setup,
      target: answeredTarget(),
      seed: input.seed,
      backgroundRows: background?.count ?? 0,
      rows,
      usage,
      eventIds: [],
    };
    // Only complete answers are kept, and only when the version that answered is the one keyed.
    if (complete && cacheKey && input.cache !== 'bypass' && evaluator.usage.answeredVersion === keyVersion) {
      this.cache.set(cacheKey, outcome);
    }
    return outcome;
  }

  /** Emits one ExplanationEvent per row (decision 10) and answers the outcome with their ids. */
  private storeEvents(outcome: ExplainOutcome, input: ExplainInput, call: ExplainCall): ExplainOutcome {
    const link = input.event!;
    const traceparent = link.traceparent || call.traceHeaders?.traceparent || '';
    const match = TRACEPARENT.exec(traceparent);
    const eventIds = this.options.events!.emit(outcome, {
      requestId: link.requestId,
      traceId: match?.[1] ?? '',
      predictionRows: link.predictionRows.length > 0 ? link.predictionRows : outcome.rows.map((r) => r.row),
      timeMs: this.now(),
    });
    return { ...outcome, eventIds };
  }

  /** The output explained and its columns (rules "target.output_name", "target.target_indices"). */
  private explainedOutput(
    target: ExplainInput['target'] & object,
    metadata: TargetMetadata,
    entry: MethodEntry<unknown, unknown>,
  ): ExplainedOutput {
    const name = target.outputName || metadata.outputs[0]?.name;
    const spec = metadata.outputs.find((o) => o.name === name);
    if (!name || !spec) {
      throw new InvalidArgumentError(
        `target.output_name: model ${quoteName(metadata.name)} has no output ${quoteName(name ?? '')} (outputs: ${metadata.outputs.map((o) => quoteName(o.name)).join(', ')})`,
      );
    }
    const rowShape = spec.shape.slice(1);
    if (rowShape.some((d) => d < 0)) {
      throw new FailedPreconditionError(
        `target.output_name: output ${quoteName(name)} has a variable per-row shape [${rowShape.join(',')}]; the explainer needs a fixed number of columns`,
      );
    }
    const columnCount = product(rowShape);
    for (const [i, index] of target.targetIndices.entries()) {
      if (index >= columnCount) {
        throw new InvalidArgumentError(
          `target.target_indices[${i}]: must be below the output's ${columnCount} columns, got ${index} (rule "target.target_indices")`,
        );
      }
    }
    const columns = entry.allOutputs || target.targetIndices.length === 0 ? undefined : target.targetIndices;
    return { name, columnCount, columns };
  }

  /** FAILED_PRECONDITION unless the target can give gradients (decision 3). */
  private checkGradients(
    entry: MethodEntry<unknown, unknown>,
    target: ExplainInput['target'] & object,
    metadata: TargetMetadata,
  ) {
    const alternative = entry.blackBoxAlternative ?? 'kernel_shap or occlusion';
    if (target.kind === 'graph') {
      throw new FailedPreconditionError(
        `method ${entry.field}: graph ${quoteName(target.modelName)} has no gradients; use ${alternative}`,
      );
    }
    if (metadata.platform !== 'tensorflow_js') {
      const platform =
        metadata.platform === 'onnxruntime_onnx' ? 'onnx' : metadata.platform || 'unknown platform';
      throw new FailedPreconditionError(
        `method ${entry.field}: model ${quoteName(target.modelName)} (${platform}) has no gradients; use ${alternative}`,
      );
    }
    if (this.options.repository === undefined) {
      throw new FailedPreconditionError(
        `method ${entry.field}: --repository is not set, so the model's files cannot be loaded for gradients; use ${alternative}`,
      );
    }
  }

  /** The reduced background, or undefined when the request has none (rule "background.set" where required). */
  private async background(
    input: ExplainInput,
    entry: MethodEntry<unknown, unknown>,
    params: unknown,
    layout: RowLayout,
    upstream: UpstreamCallOptions,
  ): Promise<WeightedRows | undefined> {
    const request = input.background;
    if (!request) {
      if (entry.needsBackground(params)) {
        throw new InvalidArgumentError(`background: required by ${entry.field} (rule "background.set")`);
      }
      return undefined;
    }
    const random = seededRandom(derivedSeed(input.seed, 'background'));
    let rows: FeatureRows;
    if (request.events !== undefined) {
      rows = await this.eventRows(request.events, input, layout, upstream);
      // Stored events can hold more rows than a background may: a seeded sample of them.
      if (rows.count > this.options.limits.maxBackgroundRows) {
        const sample = reduceBackground(
          rows,
          layout.featureCount,
          'sample',
          this.options.limits.maxBackgroundRows,
          undefined,
          random,
          {
            maxRows: Number.POSITIVE_INFINITY,
          },
        );
        rows = { count: sample.count, rows: sample.rows };
      }
    } else if (request.rows) {
      rows = flattenRows(request.rows, layout, 'background.rows');
    } else {
      throw new InvalidArgumentError(
        'background: exactly one of rows and events is required (rule "background.source_set")',
      );
    }
    const stopAt = upstream.deadlineMs;
    return reduceBackground(
      rows,
      layout.featureCount,
      request.reduction,
      request.size,
      entry.defaultBackgroundSize,
      random,
      { maxRows: this.options.limits.maxBackgroundRows, timeSpent: () => this.now() >= stopAt },
    );
  }

  /** The rows of stored events whose request tensors are the instances' (others are skipped). */
  private async eventRows(
    events: BackgroundEventsRequest,
    input: ExplainInput,
    layout: RowLayout,
    upstream: UpstreamCallOptions,
  ): Promise<FeatureRows> {
    const names = layout.slots.map((s) => s.name);
    if (
      events.tensors.length > 0 &&
      (events.tensors.length !== names.length || events.tensors.some((t, i) => t !== names[i]))
    ) {
      throw new InvalidArgumentError(
        `background.events.selector.tensors: must be the instances' tensors ${names.map(quoteName).join(', ')} in order (rule "background.events.tensors")`,
      );
    }
    if (!this.options.storedEvents) {
      throw new FailedPreconditionError(
        'background.events: this explainer has no --router to read stored events from',
      );
    }
    const target = input.target!;
    const read = await readStoredEvents(
      this.options.storedEvents,
      {
        modelName: events.modelName || (target.kind === 'model' ? target.modelName : ''),
        modelVersion: events.modelVersion,
        graph: events.graph || (target.kind === 'graph' ? target.modelName : ''),
        fromUnixMs: events.fromUnixMs,
        toUnixMs: events.toUnixMs,
        maxEvents: events.maxEvents,
      },
      upstream,
    );
    const parts: FeatureRows[] = [];
    for (const { inputs } of read) {
      const byName = new Map(inputs.map((t) => [t.name, t]));
      const picked = names.map((name) => byName.get(name));
      if (picked.some((t) => t === undefined)) continue;
      try {
        parts.push(flattenRows(picked as Tensor[], layout, 'background.events'));
      } catch (error) {
        // An event of another shape (an older version's inputs) is not background for this one.
        if (!(error instanceof InvalidArgumentError)) throw error;
      }
    }
    const count = parts.reduce((n, p) => n + p.count, 0);
    if (count === 0) {
      throw new InvalidArgumentError(
        `background.events: none of the ${read.length} events read in the range has the instances' tensors (rule "background.events.tensors")`,
      );
    }
    const rows = new Float64Array(count * layout.featureCount);
    let offset = 0;
    for (const part of parts) {
      rows.set(part.rows, offset);
      offset += part.rows.length;
    }
    return { count, rows };
  }

  /** Usage.input_hash: SHA-256 of the layout, instance rows, names, categories and background as used. */
  private inputHash(
    layout: RowLayout,
    rows: Float64Array,
    input: ExplainInput,
    background: WeightedRows | undefined,
  ) {
    return sha256Hex([
      canonicalJson(layout.slots),
      rows,
      canonicalJson(input.featureNames),
      canonicalJson([...input.categorical.entries()].sort((a, b) => a[0] - b[0])),
      background?.rows ?? new Float64Array(0),
      background?.weights ?? new Float64Array(0),
    ]);
  }

  /**
   * Decision 7: a caller's cancel ends the call CANCELLED; a budget that cannot finish
   * before the deadline, or on_exhausted FAIL, or a partial answer with no result at all,
   * fails DEADLINE_EXCEEDED (time) or RESOURCE_EXHAUSTED (calls), stating the progress.
   */
  private failIfUnanswerable(
    rows: readonly RowExplanation[],
    rowCount: number,
    budget: ResolvedBudget,
    usage: ExplainUsage,
    call: ExplainCall,
  ) {
    const cancelled = call.cancellation.cancelReason;
    if (cancelled) throw isSightlineError(cancelled) ? cancelled : new CancelledError('the caller cancelled');
    if (usage.complete) return;
    const done = rows.filter((r) => r.complete).length;
    const fraction = rows.reduce((sum, r) => sum + r.fractionDone, 0) / rowCount;
    const progress = progressText(done, rowCount, fraction, usage);
    const timeSpent = usage.incompleteReason.startsWith('budget.timeout_ms');
    if (budget.cannotFinish && timeSpent) {
      throw new DeadlineExceededError(
        `budget.deadline: timeout_ms ${budget.timeMs} ends after the call's deadline; stopped at the deadline: ${progress} (rule "budget.deadline"; use StartExplanation for such work)`,
      );
    }
    const nothing = rows.every((r) => r.result === undefined);
    if (budget.onExhausted === 'fail' || nothing) {
      const sentence = `${usage.incompleteReason}: ${progress}`;
      throw timeSpent ? new DeadlineExceededError(sentence) : new ResourceExhaustedError(sentence);
    }
  }
}
