/**
 * What the detector commands of `drift` and `outlier` do alike over stored events: the
 * --from/--to time range, the paged listing of a service's stored results, and a scan of a
 * time range streamed with a progress bar (the events' count is unknown until it ends, so
 * the bar follows the scan's position in time).
 */
import type { Progress, ProgressBar } from '../frame/progress.js';
import { UsageError } from '../frame/usage-error.js';
import { parseEventTime } from './event-time.js';

/** Steps of a scan's progress bar: fine enough for a smooth bar over any time range. */
export const SCAN_PROGRESS_STEPS = 1000;

/** The --from and --to flags of a command over a time range. */
export interface TimeRangeFlags {
  readonly from: string;
  readonly to?: string | undefined;
}

/** A time range whose end must follow its start; `UsageError` naming --to otherwise. */
function checkOrder(from: number, to: number): void {
  if (to <= from) throw new UsageError(`--to: must be after --from (${new Date(from).toISOString()})`);
}

/**
 * The time range of --from (required) and --to (default: now), ms since the epoch.
 * @throws UsageError for a malformed time, or a --to not after --from.
 */
export function timeRangeFromFlags(flags: TimeRangeFlags, now = Date.now()): { from: number; to: number } {
  const from = parseEventTime(flags.from, '--from', now);
  const to = flags.to === undefined ? now : parseEventTime(flags.to, '--to', now);
  checkOrder(from, to);
  return { from, to };
}

/**
 * The optional --from and --to filters of a listing, ms since the epoch; with `ordered`,
 * a --to not after --from is refused.
 * @throws UsageError for a malformed time, or (ordered) a --to not after --from.
 */
export function timeFilterFromFlags(
  flags: Partial<TimeRangeFlags>,
  ordered: boolean,
  now = Date.now(),
): { from: number | undefined; to: number | undefined } {
  const from = flags.from === undefined ? undefined : parseEventTime(flags.from, '--from', now);
  const to = flags.to === undefined ? undefined : parseEventTime(flags.to, '--to', now);
  if (ordered && from !== undefined && to !== undefined) checkOrder(from, to);
  return { from, to };
}

/**
 * Up to `limit` items of a paged listing: `page` is asked for pages of at most `pageSize`
 * (less for the last) until the listing ends or the limit is reached.
 */
export async function collectPages<T>(
  limit: number,
  pageSize: number,
  page: (size: number, pageToken: string) => Promise<{ items: readonly T[]; nextPageToken: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let pageToken = '';
  do {
    const next = await page(Math.min(pageSize, limit - items.length), pageToken);
    items.push(...next.items);
    pageToken = next.nextPageToken;
  } while (pageToken !== '' && items.length < limit);
  return items;
}

/**
 * The share of a time range a scan has covered, from its position: what a history run's
 * bar shows (the events' count is unknown until the scan ends).
 */
export function scannedShare(progress: ScanPosition, fromMs: number, toMs: number): number {
  const position = progress.positionTime?.getTime();
  if (position === undefined || toMs <= fromMs) return 0;
  return Math.min(1, Math.max(0, (position - fromMs) / (toMs - fromMs)));
}

/** Where a scan is: the time of the last event it read (undefined before the first). */
export interface ScanPosition {
  readonly positionTime?: Date | undefined;
}

/**
 * Reads a history scan of `name` over [from, to): `onItem` takes each item and answers the
 * progress it carries, which drives a bar. Answers the last progress (undefined when none
 * came); the bar is removed however the scan ends.
 */
export async function scanWithProgress<Item, P extends ScanPosition>(
  progress: Progress,
  name: string,
  range: { readonly from: number; readonly to: number },
  items: AsyncIterable<Item>,
  onItem: (item: Item) => P | undefined,
): Promise<P | undefined> {
  let last: P | undefined;
  let bar: ProgressBar | undefined;
  try {
    for await (const item of items) {
      last = onItem(item) ?? last;
      if (last !== undefined) {
        bar ??= progress.bar(`scanning ${JSON.stringify(name)}`, SCAN_PROGRESS_STEPS);
        bar.update(Math.round(scannedShare(last, range.from, range.to) * SCAN_PROGRESS_STEPS));
      }
    }
  } finally {
    bar?.stop();
  }
  return last;
}

/** A scan's skipped events as one cell: "reason: n" joined, or 0 when none were skipped. */
export function skippedCell(skipped: Readonly<Record<string, number>> | undefined): string | number {
  return (
    Object.entries(skipped ?? {})
      .map(([reason, n]) => `${reason}: ${n}`)
      .join(', ') || 0
  );
}
