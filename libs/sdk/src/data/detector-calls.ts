/**
 * What the drift and outlier clients' detector calls take and do alike: a fit's lineage
 * options, a fit on stored events, the paging of `list`, and every page of a listing.
 */
import type { CallOptions } from '../core/call-options.js';
import type { TimeInput } from '../events/events-client.js';
import type { EventSelector } from './event-selector.js';

/** Lineage fields of a fit. */
export interface DetectorFitOptions extends CallOptions {
  /** Who fits it (recorded in the lineage; the CLI sends the OS user). */
  readonly creator?: string;
  /** Where the reference came from (recorded in the lineage; the CLI sends the file path). */
  readonly referenceSource?: string;
}

/** A fit on stored inference events instead of data in the call. */
export interface DetectorFitFromEvents {
  /** First instant included. */
  readonly from: TimeInput;
  /** First instant excluded; unset: now. */
  readonly to?: TimeInput;
  /** Which events and tensors. */
  readonly selector: EventSelector;
}

/** Paging of `list`. */
export interface DetectorListOptions extends CallOptions {
  /** Detectors per page; unset: the service's default (100); at most 1000. */
  readonly pageSize?: number;
  /** The previous page's `nextPageToken`. */
  readonly pageToken?: string;
}

/** Whether a fit's reference is stored events rather than data (a table has columns, not a selector). */
export function isFitFromEvents<Data>(
  reference: Data | DetectorFitFromEvents,
): reference is DetectorFitFromEvents {
  return (
    !Array.isArray(reference) &&
    typeof reference === 'object' &&
    reference !== null &&
    'selector' in reference &&
    'from' in reference &&
    !('columns' in reference)
  );
}

/** Every detector of a paged `list`, page after page, in name order. */
export async function* allDetectors<Detector>(
  list: (
    pageToken: string,
  ) => Promise<{ readonly detectors: readonly Detector[]; readonly nextPageToken: string }>,
): AsyncGenerator<Detector, void, undefined> {
  let pageToken = '';
  do {
    const page = await list(pageToken);
    yield* page.detectors;
    pageToken = page.nextPageToken;
  } while (pageToken !== '');
}

/** Counts by reason (events skipped or left out) as numbers; the messages carry int64 counts. */
export function countsByReason(
  counts: Readonly<Record<string, number | bigint | string>> | undefined,
): Record<string, number> {
  return Object.fromEntries(Object.entries(counts ?? {}).map(([reason, n]) => [reason, Number(n)]));
}
