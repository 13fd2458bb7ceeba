/**
 * The contracts' EventSelector (sightline.common.v1) as plain data, and how libs/detect
 * reads the events it selects: one tensor per event in this version.
 */
import { InvalidArgumentError } from '@sightline/errors';
import type { PlainEventSelector } from '@sightline/service-kit';
import type { EventSelection } from '../table/table-from-events.js';
import type { Attachment } from './attachment.js';

/**
 * Which events and tensors a detector reads (common.v1.EventSelector as plain data): the
 * service-kit's type, which the services' message conversion returns. An empty `tensors`
 * reads the side's first tensor in this version.
 */
export type EventSelector = PlainEventSelector;

/**
 * The selector as libs/detect reads one event.
 * @throws InvalidArgumentError for more than one tensor (`field`.tensors).
 */
export function detectSelection(selector: EventSelector, field = 'selector'): EventSelection {
  if (selector.tensors.length > 1) {
    throw new InvalidArgumentError(
      `${field}.tensors: ${selector.tensors.length} tensors; this version reads one tensor per event`,
    );
  }
  return {
    side: selector.side,
    ...(selector.tensors[0] ? { tensor: selector.tensors[0] } : {}),
    ...(selector.columnNames.length > 0 ? { columnNames: selector.columnNames } : {}),
  };
}

/** The selector as an attachment of `detector` (the events it matches and how they are read). */
export function selectorAttachment(
  detector: string,
  selector: EventSelector,
  field = 'selector',
): Attachment {
  return {
    detector,
    modelName: selector.modelName,
    ...(selector.modelVersion ? { modelVersion: selector.modelVersion } : {}),
    ...(selector.graph ? { graph: selector.graph } : {}),
    ...detectSelection(selector, field),
  };
}
