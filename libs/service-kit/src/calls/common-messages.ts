/**
 * sightline.common.v1's EventSelector and TimeRange <-> plain data, for every service that
 * reads the event stream (drift, outlier): the same rules and the same field-naming errors.
 */
import { commonV1 } from '@sightline/contracts';
import { InvalidArgumentError } from '@sightline/errors';

/** An EventSelector as plain data: the one definition (libs/detect's `EventSelector` is this type). */
export interface PlainEventSelector {
  readonly modelName: string;
  /** Empty: every version. */
  readonly modelVersion: string;
  readonly side: 'request' | 'response';
  /** Empty: the event's tensors in order. */
  readonly tensors: readonly string[];
  /** Empty: "<tensor>[<i>]", or the tensor's name for a one-element row. */
  readonly columnNames: readonly string[];
  /** Empty: any graph or none. */
  readonly graph: string;
}

/**
 * The selection of a selector message; `field` names it in errors.
 * @throws InvalidArgumentError when it is unset or has no model name (rule "selector.model_name_set").
 */
export function selectionFromMessage(
  selector: commonV1.EventSelector | undefined,
  field: string,
): PlainEventSelector {
  if (!selector) throw new InvalidArgumentError(`${field}: required`);
  if (!selector.modelName)
    throw new InvalidArgumentError(`${field}.model_name: required (rule "selector.model_name_set")`);
  return {
    modelName: selector.modelName,
    modelVersion: selector.modelVersion,
    side: selector.side === commonV1.EventSide.EVENT_SIDE_RESPONSE ? 'response' : 'request',
    tensors: [...selector.tensors],
    columnNames: [...selector.columnNames],
    graph: selector.graph,
  };
}

/** The selector message of a selection. */
export function selectionToMessage(selection: PlainEventSelector): commonV1.EventSelector {
  return {
    modelName: selection.modelName,
    modelVersion: selection.modelVersion,
    side:
      selection.side === 'response'
        ? commonV1.EventSide.EVENT_SIDE_RESPONSE
        : commonV1.EventSide.EVENT_SIDE_REQUEST,
    tensors: [...selection.tensors],
    columnNames: [...selection.columnNames],
    graph: selection.graph,
  };
}

/**
 * A time range's instants, the end defaulting to `nowMs`; `field` names it in errors.
 * @throws InvalidArgumentError without a start, or a start not before the end (rule "range.order").
 */
export function rangeFromMessage(
  range: commonV1.TimeRange | undefined,
  field: string,
  nowMs: number,
): { fromUnixMs: number; toUnixMs: number } {
  if (!range?.startTime) throw new InvalidArgumentError(`${field}.start_time: required`);
  const fromUnixMs = range.startTime.getTime();
  const toUnixMs = range.endTime ? range.endTime.getTime() : nowMs;
  if (!(fromUnixMs < toUnixMs))
    throw new InvalidArgumentError(`${field}: start_time must be before end_time (rule "range.order")`);
  return { fromUnixMs, toUnixMs };
}
