/**
 * Which inference events a detector reads (an event selector), in plain form, with its
 * conversion to and from the contract's `sightline.common.v1.EventSelector`: one copy,
 * shared by the drift and outlier clients.
 */
import { commonV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';

/** The events and tensors a detector reads. */
export interface EventSelector {
  /** The model (or graph) whose events are read; required. */
  readonly modelName: string;
  /** Only this model version; unset: every version. */
  readonly modelVersion?: string;
  /** Only events of this graph (the router's graph name); with `modelName`, that node's calls. */
  readonly graph?: string;
  /** The request's inputs (the default) or the response's outputs. */
  readonly side?: 'request' | 'response';
  /** The tensors read, in order; unset: every tensor in the event's order. */
  readonly tensors?: readonly string[];
  /** One name per element of a flattened row of the tensors, e.g. iris's four measurements. */
  readonly columnNames?: readonly string[];
}

const SIDES = {
  request: commonV1.EventSide.EVENT_SIDE_REQUEST,
  response: commonV1.EventSide.EVENT_SIDE_RESPONSE,
} as const;

/**
 * The contract's selector.
 *
 * @throws InvalidArgumentError for no model name or an unknown side.
 */
export function selectorMessage(selector: EventSelector): commonV1.EventSelector {
  if (selector.modelName.trim() === '') {
    throw new InvalidArgumentError('modelName: required (the model whose events are read)', {
      field: 'modelName',
    });
  }
  const side = selector.side ?? 'request';
  if (!Object.hasOwn(SIDES, side)) {
    throw new InvalidArgumentError(`side: must be "request" or "response", got ${JSON.stringify(side)}`, {
      field: 'side',
    });
  }
  return commonV1.EventSelector.fromPartial({
    modelName: selector.modelName,
    modelVersion: selector.modelVersion ?? '',
    graph: selector.graph ?? '',
    side: SIDES[side],
    tensors: [...(selector.tensors ?? [])],
    columnNames: [...(selector.columnNames ?? [])],
  });
}

/** The plain selector of a contract's one. */
export function selectorOf(message: commonV1.EventSelector): EventSelector {
  return {
    modelName: message.modelName,
    ...(message.modelVersion !== '' && { modelVersion: message.modelVersion }),
    ...(message.graph !== '' && { graph: message.graph }),
    side: message.side === commonV1.EventSide.EVENT_SIDE_RESPONSE ? 'response' : 'request',
    tensors: [...message.tensors],
    columnNames: [...message.columnNames],
  };
}
