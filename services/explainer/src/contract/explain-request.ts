/** ExplainRequest message → the data plane's ExplainInput (tensors decoded, enums named, unknown enum numbers refused). */
import { commonV1, type explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { rangeFromMessage } from '@sightline/service-kit';
import { decodeTensorMessages, type TensorDecodeLimits } from '@sightline/tensor';
import type { BackgroundReduction } from '../data-plane/background.js';
import type { BudgetRequest } from '../data-plane/budget.js';
import type {
  BackgroundEventsRequest,
  CachePolicy,
  ExplainInput,
  TargetKind,
  TargetRequest,
} from '../data-plane/explain-types.js';
import { CONTRACT_METHODS } from '../data-plane/method-registry.js';

/** The value `number` names in `names` (by enum number), or INVALID_ARGUMENT naming the field. */
function enumValue<T>(field: string, number: number, names: Readonly<Record<number, T>>): T {
  const value = names[number];
  if (value === undefined) throw new InvalidArgumentError(`${field}: unknown value ${number}`);
  return value;
}

const TARGET_KINDS: Record<number, TargetKind> = { 0: 'model', 1: 'model', 2: 'graph' };
const REDUCTIONS: Record<number, BackgroundReduction> = { 0: 'sample', 1: 'none', 2: 'sample', 3: 'kmeans' };
const CACHE_POLICIES: Record<number, CachePolicy> = { 0: 'use', 1: 'use', 2: 'refresh', 3: 'bypass' };
const ON_EXHAUSTED: Record<number, BudgetRequest['onExhausted']> = { 0: 'partial', 1: 'partial', 2: 'fail' };

/** A Target message in domain terms. */
export function targetFromMessage(target: explainerV1.Target | undefined): TargetRequest | undefined {
  if (!target) return undefined;
  return {
    kind: enumValue('target.kind', target.kind, TARGET_KINDS),
    address: target.address,
    modelName: target.modelName,
    modelVersion: target.modelVersion,
    outputName: target.outputName,
    targetIndices: target.targetIndices,
  };
}

/** A Budget message in domain terms (unset: every default). */
export function budgetFromMessage(budget: explainerV1.Budget | undefined): BudgetRequest {
  return {
    maxModelCalls: budget?.maxModelCalls ?? 0,
    maxRowsPerCall: budget?.maxRowsPerCall ?? 0,
    timeoutMs: budget?.timeoutMs ?? 0,
    onExhausted: enumValue('budget.on_exhausted', budget?.onExhausted ?? 0, ON_EXHAUSTED),
  };
}

/**
 * The set member of a request's `method` oneof among `methods` (oneof key → contract field name);
 * undefined when none is set; more than one set is INVALID_ARGUMENT (rule "method.set").
 */
export function methodOf(
  request: object,
  methods: Readonly<Record<string, string>>,
): { readonly key: string; readonly message: unknown } | undefined {
  const fields = request as Record<string, unknown>;
  const set = Object.keys(methods).filter((key) => fields[key] !== undefined);
  if (set.length > 1) {
    throw new InvalidArgumentError(
      `method: exactly one method is allowed, got ${set.map((key) => methods[key]).join(' and ')} (rule "method.set")`,
    );
  }
  const key = set[0];
  return key === undefined ? undefined : { key, message: fields[key] };
}

/** Events read by default and at most (contract). */
export const DEFAULT_BACKGROUND_EVENTS = 10_000;
export const MAX_BACKGROUND_EVENTS = 100_000;

/** BackgroundEvents in domain terms (rules "background.events.range_set", "background.events.tensors"). */
export function backgroundEventsFromMessage(
  events: explainerV1.BackgroundEvents,
  nowMs: number,
): BackgroundEventsRequest {
  if (!events.range) {
    throw new InvalidArgumentError('background.events.range: required (rule "background.events.range_set")');
  }
  const range = rangeFromMessage(events.range, 'background.events.range', nowMs);
  const selector = events.selector;
  if (selector?.side === commonV1.EventSide.EVENT_SIDE_RESPONSE) {
    throw new InvalidArgumentError(
      'background.events.selector.side: must be REQUEST, the events\' inputs (rule "background.events.tensors")',
    );
  }
  const maxEvents = events.maxEvents ?? DEFAULT_BACKGROUND_EVENTS;
  if (!(maxEvents >= 1 && maxEvents <= MAX_BACKGROUND_EVENTS)) {
    throw new InvalidArgumentError(
      `background.events.max_events: must be between 1 and ${MAX_BACKGROUND_EVENTS}, got ${maxEvents}`,
    );
  }
  return {
    modelName: selector?.modelName ?? '',
    modelVersion: selector?.modelVersion ?? '',
    graph: selector?.graph ?? '',
    tensors: selector?.tensors ?? [],
    fromUnixMs: range.fromUnixMs,
    toUnixMs: range.toUnixMs,
    maxEvents,
  };
}

/** A Background message in domain terms (local and global requests). */
export function backgroundFromMessage(
  background: explainerV1.Background | undefined,
  tensorLimits: Partial<TensorDecodeLimits>,
): ExplainInput['background'] {
  if (!background) return undefined;
  if (background.rows === undefined && background.events === undefined) {
    throw new InvalidArgumentError(
      'background: exactly one of rows and events is required (rule "background.source_set")',
    );
  }
  return {
    ...(background.rows
      ? { rows: decodeTensorMessages(background.rows.tensors, 'tensor', tensorLimits) }
      : {}),
    ...(background.events ? { events: backgroundEventsFromMessage(background.events, Date.now()) } : {}),
    reduction: enumValue('background.reduction', background.reduction, REDUCTIONS),
    size: background.size,
  };
}

/** An ExplainRequest in domain terms. @throws InvalidArgumentError naming the field. */
export function explainInputFromMessage(
  request: explainerV1.ExplainRequest,
  tensorLimits: Partial<TensorDecodeLimits>,
): ExplainInput {
  const categorical = new Map<number, readonly string[]>();
  for (const [key, value] of Object.entries(request.categoricalFeatures)) {
    categorical.set(Number(key), value?.names ?? []);
  }
  return {
    target: targetFromMessage(request.target),
    instances: decodeTensorMessages(request.instances, 'tensor', tensorLimits),
    background: backgroundFromMessage(request.background, tensorLimits),
    featureNames: request.featureNames,
    categorical,
    image: request.image,
    method: methodOf(request, CONTRACT_METHODS),
    budget: budgetFromMessage(request.budget),
    seed: request.seed ?? 0n,
    cache: enumValue('cache', request.cache, CACHE_POLICIES),
    event: request.event
      ? {
          store: request.event.store,
          requestId: request.event.requestId,
          predictionRows: request.event.predictionRows,
          traceparent: request.event.traceparent,
        }
      : undefined,
  };
}
