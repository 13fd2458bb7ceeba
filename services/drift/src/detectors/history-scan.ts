/**
 * ScoreHistory's scan over libs/detect's runHistory: the stored events of a time range,
 * read page by page through the event reader, windowed by event time with the live
 * windows' rules, each window scored; detect's items become the service's history items.
 */
import { type DriftResult, runHistory, type ScoringDetector } from '@sightline/detect';
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
  let skipped: Record<string, number> = {};
  let position = request.fromUnixMs;
  const progress = () => {
    const unreadable = Object.values(skipped).reduce((a, b) => a + b, 0);
    return {
      eventsRead,
      // Events read that were not skipped as unreadable (events of other models included).
      eventsMatched: Math.max(0, eventsRead - unreadable),
      eventsSkipped: { ...skipped },
      positionUnixMs: position,
      windows,
    };
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
    if (item.type === 'progress') {
      eventsRead = item.progress.eventsRead;
      skipped = { ...item.progress.unreadable } as Record<string, number>;
      position = item.progress.lastTimeMs;
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
