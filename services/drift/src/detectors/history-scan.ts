/**
 * ScoreHistory's scan over libs/detect's runHistory: the stored events of a time range,
 * read page by page through the event reader, windowed by event time with the live
 * windows' rules, each window scored; detect's items become the service's history items.
 */
import { type DriftResult, type HistoryProgress, runHistory, type ScoringDetector } from '@sightline/detect';
import type { Cancellation } from '@sightline/errors';
import type { EventReader } from '@sightline/events';
import type { EventSelection, HistoryItem, WindowSettings } from '../data-plane/drift-types.js';
import type { DriftVerdict } from '../results/drift-event.js';
import { CLOSED_BY, detectAttachment } from './live-windows.js';

/** What {@link historyScan} reads and how it tests. */
export interface HistoryScanOptions {
  readonly reader: EventReader;
  readonly request: {
    readonly fromUnixMs: number;
    readonly toUnixMs: number;
    readonly selection: EventSelection;
    readonly window: WindowSettings;
  };
  readonly detector: ScoringDetector<DriftResult>;
  readonly verdict: (result: DriftResult) => DriftVerdict;
  readonly maxRequestIds: number;
  readonly cancellation: Cancellation;
}

/** Yields one item per scored window and one progress item per page read. */
export async function* historyScan(options: HistoryScanOptions): AsyncGenerator<HistoryItem> {
  const { request } = options;
  let windows = 0;
  let eventsRead = 0;
  let eventsMatched = 0;
  let skipped: Record<string, number> = {};
  let position = request.fromUnixMs;
  const progress = () => ({
    eventsRead,
    eventsMatched,
    eventsSkipped: { ...skipped },
    positionUnixMs: position,
    windows,
  });
  // Every item's progress is the scan's as of that item: a window's is taken when it closed,
  // never the last page's (which lags the window it is sent with).
  const advance = (p: HistoryProgress) => {
    eventsRead = p.eventsRead;
    eventsMatched = p.eventsMatched;
    skipped = { ...p.unreadable } as Record<string, number>;
    position = p.lastTimeMs;
  };
  const items = runHistory<DriftResult>({
    reader: options.reader,
    detector: options.detector,
    attachment: detectAttachment(options.detector.name, request.selection, request.window),
    fromUnixMs: request.fromUnixMs,
    toUnixMs: request.toUnixMs,
    maxRequestIdsPerWindow: options.maxRequestIds,
    cancellation: options.cancellation,
  });
  for await (const item of items) {
    advance(item.progress);
    if (item.type === 'progress') {
      yield { events: 0, rows: 0, progress: progress() };
      continue;
    }
    windows++;
    const window = item.window;
    yield {
      windowStartUnixMs: window.startMs,
      windowEndUnixMs: window.endMs,
      events: window.requestCount,
      rows: window.rows,
      verdict: options.verdict(window.result),
      closedBy: CLOSED_BY[window.closeReason],
      requestIds: window.requestIds,
      progress: progress(),
    };
  }
}
