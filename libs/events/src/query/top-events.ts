import type { InferenceEvent } from '../inference-event.js';

/**
 * The first `limit` distinct events of a stream in a given order, in memory bounded by
 * twice the limit: offered events collect in a buffer that is sorted, deduplicated by event
 * id and cut back to `limit` whenever it doubles. An event no better than the current
 * `limit`-th is dropped at once. A duplicate (the same event appended twice after a sink
 * retry) has the same time and id as its twin, so it sorts next to it and is removed, or is
 * cut as its twin was.
 */
export class TopEvents {
  private buffer: InferenceEvent[] = [];
  /** The `limit`-th event as of the last compaction; nothing worse can be in the answer. */
  private worst: InferenceEvent | undefined;

  constructor(
    readonly limit: number,
    private readonly compare: (a: InferenceEvent, b: InferenceEvent) => number,
  ) {}

  /** Offers one event. */
  offer(event: InferenceEvent): void {
    if (this.worst !== undefined && this.compare(event, this.worst) > 0) return;
    this.buffer.push(event);
    if (this.buffer.length >= 2 * this.limit) this.compact();
  }

  /**
   * The `limit`-th best event so far once at least `limit` distinct events were offered:
   * any event that sorts after it cannot be in the answer. Undefined before.
   */
  boundary(): InferenceEvent | undefined {
    this.compact();
    return this.worst;
  }

  /** The answer: at most `limit` distinct events, sorted. */
  result(): InferenceEvent[] {
    this.compact();
    return this.buffer.slice();
  }

  private compact(): void {
    const sorted = this.buffer.sort(this.compare);
    const kept: InferenceEvent[] = [];
    for (const event of sorted) {
      if (kept.length === this.limit) break;
      const previous = kept[kept.length - 1];
      if (previous !== undefined && previous.eventId === event.eventId) continue;
      kept.push(event);
    }
    this.buffer = kept;
    if (kept.length === this.limit) this.worst = kept[kept.length - 1];
  }
}
