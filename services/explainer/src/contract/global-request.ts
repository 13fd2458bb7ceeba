/** GlobalExplainRequest message → the domain's GlobalInput (rules checked at submit by the global explainer). */
import { commonV1, type explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { rangeFromMessage } from '@sightline/service-kit';
import type { TensorDecodeLimits } from '@sightline/tensor';
import { DEFAULT_GLOBAL_MAX_ROWS, GLOBAL_METHODS, type GlobalInput } from '../global/global-types.js';
import { backgroundFromMessage, budgetFromMessage, targetFromMessage } from './explain-request.js';

/** The set member of the `method` oneof (more than one is INVALID_ARGUMENT, rule "method.set"). */
function methodOf(request: explainerV1.GlobalExplainRequest): GlobalInput['method'] {
  const set = Object.keys(GLOBAL_METHODS).filter(
    (key) => request[key as keyof explainerV1.GlobalExplainRequest] !== undefined,
  );
  if (set.length > 1) {
    throw new InvalidArgumentError(
      `method: exactly one method is allowed, got ${set.map((key) => GLOBAL_METHODS[key]).join(' and ')} (rule "method.set")`,
    );
  }
  const key = set[0];
  return key === undefined
    ? undefined
    : { key, message: request[key as keyof explainerV1.GlobalExplainRequest] };
}

/** A GlobalExplainRequest in domain terms. @throws InvalidArgumentError naming the field. */
export function globalInputFromMessage(
  request: explainerV1.GlobalExplainRequest,
  tensorLimits: Partial<TensorDecodeLimits>,
  nowMs: number,
): GlobalInput {
  const selector = request.selector;
  if (selector?.side === commonV1.EventSide.EVENT_SIDE_RESPONSE) {
    throw new InvalidArgumentError(
      'selector.side: must be REQUEST, the events\' inputs (rule "selector.side")',
    );
  }
  return {
    target: targetFromMessage(request.target),
    selector: {
      modelName: selector?.modelName ?? '',
      modelVersion: selector?.modelVersion ?? '',
      graph: selector?.graph ?? '',
      tensors: selector?.tensors ?? [],
    },
    range: request.range ? rangeFromMessage(request.range, 'range', nowMs) : undefined,
    maxRows: request.maxRows ?? DEFAULT_GLOBAL_MAX_ROWS,
    method: methodOf(request),
    background: backgroundFromMessage(request.background, tensorLimits),
    featureNames: request.featureNames,
    budget: budgetFromMessage(request.budget),
    seed: request.seed ?? 0n,
  };
}
