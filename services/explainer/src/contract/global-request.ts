/** GlobalExplainRequest message → the domain's GlobalInput (rules checked at submit by the global explainer). */
import { commonV1, type explainerV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';
import { rangeFromMessage } from '@sightline/service-kit';
import type { TensorDecodeLimits } from '@sightline/tensor';
import { DEFAULT_GLOBAL_MAX_ROWS, GLOBAL_METHODS, type GlobalInput } from '../global/global-types.js';
import { backgroundFromMessage, budgetFromMessage, methodOf, targetFromMessage } from './explain-request.js';

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
    method: methodOf(request, GLOBAL_METHODS),
    background: backgroundFromMessage(request.background, tensorLimits),
    featureNames: request.featureNames,
    budget: budgetFromMessage(request.budget),
    seed: request.seed ?? 0n,
  };
}
