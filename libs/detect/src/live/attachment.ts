/**
 * An attachment says which events a detector scores live: those of a model (one version, or
 * each version in its own windows), optionally only within a graph or at a graph node, and
 * where in the event its features are.
 */
import { InvalidArgumentError, quoteName } from '@sightline/errors';
import type { InferenceEvent } from '@sightline/events';
import { checkSavedDetectorName } from '../store/detector-store.js';
import type { EventSelection } from '../table/table-from-events.js';
import { resolveWindowPolicy, type WindowPolicy } from './window-assembler.js';

/** A detector attached to a model's events. */
export interface Attachment extends EventSelection {
  readonly detector: string;
  readonly modelName: string;
  /** Only this version; absent: every version, each in its own windows. */
  readonly modelVersion?: string;
  /** Only events served by this graph. */
  readonly graph?: string;
  /** Only events whose node path passes this graph node. */
  readonly node?: string;
  /** Window policy (defaults: `resolveWindowPolicy`). */
  readonly window?: Partial<WindowPolicy>;
}

/** An attachment with its window policy resolved. */
export interface ResolvedAttachment extends Attachment {
  readonly window: WindowPolicy;
}

/**
 * Checks an attachment and resolves its window policy.
 * @throws InvalidArgumentError naming the field.
 */
export function resolveAttachment(attachment: Attachment): ResolvedAttachment {
  checkSavedDetectorName(attachment.detector);
  if (attachment.modelName === '') {
    throw new InvalidArgumentError(
      `attachment of detector ${quoteName(attachment.detector)}: modelName is empty`,
      {
        field: 'modelName',
      },
    );
  }
  if (attachment.side !== 'request' && attachment.side !== 'response') {
    throw new InvalidArgumentError(
      `attachment of detector ${quoteName(attachment.detector)}: side must be request or response`,
      { field: 'side' },
    );
  }
  return { ...attachment, window: resolveWindowPolicy(attachment.window) };
}

/** Whether `event` is one `attachment` scores. */
export function matchesAttachment(attachment: Attachment, event: InferenceEvent): boolean {
  return (
    event.modelName === attachment.modelName &&
    (attachment.modelVersion === undefined || event.modelVersion === attachment.modelVersion) &&
    (attachment.graph === undefined || event.graph === attachment.graph) &&
    (attachment.node === undefined || event.nodePath.includes(attachment.node))
  );
}
