/**
 * A reference read from stored events: a fixed time range of a model's (or graph's) events,
 * or a trailing window of the stream (e.g. the same hours last week) that a service refits
 * from on a schedule.
 */
import { InvalidArgumentError, ResourceExhaustedError } from '@sightline/errors';
import type { InferenceEvent } from '@sightline/events';
import type { TableSchema } from '../table/feature-table.js';
import { type EventTable, tableFromEvents } from '../table/table-from-events.js';
import type { NonFinitePolicy } from '../table/table-from-tensors.js';
import { type Attachment, matchesAttachment } from './attachment.js';
import { type EventPagesRequest, eventPages } from './event-pages.js';

/** Most reference rows read from stored events by default (the rows are held in memory). */
export const DEFAULT_MAX_STORED_REFERENCE_ROWS = 100_000;

/** What {@link tableFromStoredEvents} reads. */
export interface StoredReferenceRequest extends Omit<EventPagesRequest, 'modelName' | 'graph'> {
  /** The model, version, graph, node, side, tensor and columns (the window is not used). */
  readonly attachment: Omit<Attachment, 'detector' | 'window'>;
  readonly schema?: TableSchema;
  readonly nonFinite?: NonFinitePolicy;
  /** Most rows (default {@link DEFAULT_MAX_STORED_REFERENCE_ROWS}); more is RESOURCE_EXHAUSTED. */
  readonly maxRows?: number;
}

/**
 * The rows of the stored events of a range, as one table (unreadable events counted).
 * @throws ResourceExhaustedError past `maxRows`, naming it; the reader's errors.
 */
export async function tableFromStoredEvents(request: StoredReferenceRequest): Promise<EventTable> {
  const maxRows = request.maxRows ?? DEFAULT_MAX_STORED_REFERENCE_ROWS;
  const a = request.attachment;
  const matching: InferenceEvent[] = [];
  const probe = { ...a, detector: 'reference' };
  for await (const page of eventPages({
    ...request,
    modelName: a.modelName,
    ...(a.graph === undefined ? {} : { graph: a.graph }),
  })) {
    for (const event of page.events) if (matchesAttachment(probe, event)) matching.push(event);
    if (matching.length > maxRows) {
      throw new ResourceExhaustedError(
        `the reference range holds more than ${maxRows} events (maxRows); narrow the range or raise the limit`,
      );
    }
  }
  const table = tableFromEvents(matching, a, request.schema, request.nonFinite ?? 'refuse');
  if (table.table !== undefined && table.table.rows > maxRows) {
    throw new ResourceExhaustedError(`the reference range holds more than ${maxRows} rows (maxRows)`);
  }
  return table;
}

/**
 * A reference that trails the stream: the `durationMs` ending `offsetMs` before now. For
 * "the same hours last week": offset 7 days, duration the hours wanted.
 */
export interface TrailingReference {
  readonly offsetMs: number;
  readonly durationMs: number;
}

/**
 * The time range of a trailing reference at `nowMs`: `[now - offset - duration, now - offset)`.
 * @throws InvalidArgumentError for a negative offset or a duration that is not positive.
 */
export function trailingReferenceRange(
  reference: TrailingReference,
  nowMs: number,
): { fromUnixMs: number; toUnixMs: number } {
  if (!(reference.offsetMs >= 0) || !(reference.durationMs > 0)) {
    throw new InvalidArgumentError('a trailing reference needs offsetMs >= 0 and durationMs > 0', {
      field: 'reference',
    });
  }
  const toUnixMs = nowMs - reference.offsetMs;
  return { fromUnixMs: toUnixMs - reference.durationMs, toUnixMs };
}
