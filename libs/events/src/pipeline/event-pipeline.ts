import { join } from 'node:path';
import { type DeferredInferenceEvent, PendingEvent, type QueuedEvent } from '../deferred-event.js';
import type { InferenceEvent } from '../inference-event.js';
import type { SinkLaneStats } from './pipeline-metrics.js';
import {
  type EventPipelineOptions,
  type ResolvedEventPipelineOptions,
  resolveEventPipelineOptions,
} from './pipeline-options.js';
import { SinkLane } from './sink-lane.js';
import { SpillStore } from './spill-store.js';

/**
 * Takes InferenceEvents from the request path and delivers each to every sink, without
 * ever slowing or failing the request: `emit` is synchronous, bounded and cannot throw.
 * Each sink has its own lane (memory queue, spill directory, retry loop), so a slow or
 * down sink never holds back the others. See {@link SinkLane} for the delivery rules and
 * README for the options.
 */
export class EventPipeline {
  private closed = false;

  private constructor(
    private readonly lanes: readonly SinkLane[],
    private readonly options: ResolvedEventPipelineOptions,
  ) {}

  /** Opens each sink's spill directory (replaying what an earlier run left there) and starts. */
  static async start(options: EventPipelineOptions): Promise<EventPipeline> {
    const resolved = resolveEventPipelineOptions(options);
    const lanes: SinkLane[] = [];
    for (const sink of resolved.sinks) {
      const spill = await SpillStore.open(
        join(resolved.spillDirectory, sink.name),
        resolved.spillMaxBytes,
        resolved.logger,
      );
      lanes.push(new SinkLane(sink, spill, resolved));
    }
    return new EventPipeline(lanes, resolved);
  }

  /** Hands an event to every sink. Synchronous; never throws; never waits on I/O. */
  emit(event: InferenceEvent): void {
    this.enqueue(event);
  }

  /**
   * Hands every sink an event that is built only when a lane takes it for a batch (or
   * spills it), off the caller's path; built once however many sinks there are. Counters
   * move now, as for {@link emit}; a build that throws counts as dropped. Synchronous;
   * never throws; never waits on I/O.
   */
  emitDeferred(event: DeferredInferenceEvent): void {
    this.enqueue(new PendingEvent(event));
  }

  private enqueue(event: QueuedEvent): void {
    for (const lane of this.lanes) {
      try {
        if (this.closed) lane.dropAfterClose();
        else lane.push(event);
      } catch (error) {
        // Only a throwing logger or metrics recorder can get here; the caller must not see it.
        try {
          this.options.logger.error('event pipeline: emit failed', { cause: String(error) });
        } catch {}
      }
    }
  }

  /** Counters and queue/spill state per sink name. */
  stats(): Record<string, SinkLaneStats> {
    return Object.fromEntries(this.lanes.map((lane) => [lane.sink.name, lane.stats()]));
  }

  /**
   * Waits until every sink has received everything emitted so far (memory queues and
   * spills empty), or `timeoutMs` passes. Returns whether everything was delivered.
   */
  async flush(timeoutMs: number = this.options.closeTimeoutMs): Promise<boolean> {
    const results = await Promise.all(this.lanes.map((lane) => lane.whenIdle(timeoutMs)));
    return results.every(Boolean);
  }

  /**
   * Stops accepting events, lets lanes deliver for up to `closeTimeoutMs`, persists what
   * is left to the spill (replayed on the next start) and closes the sinks.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush(this.options.closeTimeoutMs);
    await Promise.all(this.lanes.map((lane) => lane.stop()));
    await Promise.all(this.lanes.map((lane) => lane.sink.close()));
  }
}
