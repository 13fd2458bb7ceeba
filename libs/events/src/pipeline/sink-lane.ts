import { fullJitterBackoffMs } from '@sightline/errors';
import { PendingEvent, type QueuedEvent } from '../deferred-event.js';
import type { EventLogger } from '../event-logger.js';
import { type EventSink, SinkWriteError } from '../event-sink.js';
import type { InferenceEvent } from '../inference-event.js';
import { PIPELINE_COUNTER_NAMES, type PipelineCounterName, type SinkLaneStats } from './pipeline-metrics.js';
import type { ResolvedEventPipelineOptions } from './pipeline-options.js';
import { RingBuffer } from './ring-buffer.js';
import type { SpillStore } from './spill-store.js';

/** Drops are logged at most this often per sink (each log line carries the running total). */
export const DROP_LOG_INTERVAL_MS = 1_000;

/**
 * One sink's path through the pipeline: a bounded memory queue, the sink's spill
 * directory and one delivery loop. Every event gets a lane sequence number at emit;
 * delivery follows that order.
 *
 * - `direct`: events go to the memory queue; the loop writes batches to the sink. A
 *   partial batch waits up to `batchLingerMs` for more events (cut short once a full
 *   batch is queued or someone waits for the lane to be idle), so a steady trickle of
 *   events costs one write (and one file write, one promise chain) per linger period
 *   rather than one per event.
 * - `spilling` (entered when the queue is full or a write fails): new events go to the
 *   spill; the loop first empties the memory queue (older events), then replays spill
 *   files oldest first, backing off while the sink fails. When the spill is empty the lane
 *   returns to `direct`. A failed batch and everything behind it in memory are written to
 *   the spill under their own (lower) sequence numbers, so they replay first.
 *
 * Deferred events ({@link PendingEvent}) are built when the loop takes them for a batch
 * or the spill writer takes them; one that fails to build is counted as dropped.
 *
 * A spill file is deleted only after the sink accepted it, so each event is delivered
 * once in the normal case; a crash between acceptance and deletion replays the file once
 * more, which idempotent sinks absorb.
 */
export class SinkLane {
  private readonly queue: RingBuffer<QueuedEvent>;
  private queueHeadSeq = 0;
  private nextSeq: number;
  private mode: 'direct' | 'spilling' = 'direct';
  private spillBuffer: QueuedEvent[] = [];
  private spillBufferHeadSeq = 0;
  private spillFlush: Promise<void> | undefined;
  private running = false;
  private scheduled = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private attempt = 0;
  private sleeping: { timer: NodeJS.Timeout; wake: () => void } | undefined;
  private runDone: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  private healthy = true;
  private lastDropLogUnixMs = Number.NEGATIVE_INFINITY;
  /**
   * The spill episode under way since the queue first filled: its start and the counters
   * then; the timer that ends it once the lane stayed caught up for `spillEpisodeQuietMs`.
   */
  private episode: { startedMs: number; spilledAtStart: number; timer?: NodeJS.Timeout } | undefined;
  private readonly counts: Record<PipelineCounterName, number>;

  constructor(
    readonly sink: EventSink,
    private readonly spill: SpillStore,
    private readonly options: ResolvedEventPipelineOptions,
  ) {
    this.queue = new RingBuffer(options.queueCapacity);
    this.nextSeq = spill.nextSeq;
    this.counts = Object.fromEntries(PIPELINE_COUNTER_NAMES.map((n) => [n, 0])) as Record<
      PipelineCounterName,
      number
    >;
    if (spill.fileCount > 0) {
      // Events spilled by an earlier run: replay them before anything new.
      this.mode = 'spilling';
      this.schedule();
    }
  }

  private get logger(): EventLogger {
    return this.options.logger;
  }

  /** Accepts one event (built or deferred); synchronous, never throws, never waits. */
  push(event: QueuedEvent): void {
    this.count('emitted', 1);
    const seq = this.nextSeq++;
    if (this.mode === 'direct' && !this.queue.full) {
      if (this.queue.length === 0) this.queueHeadSeq = seq;
      this.queue.push(event);
    } else {
      if (this.mode === 'direct') {
        this.mode = 'spilling';
        this.spillEpisodeStarts();
      }
      if (this.spillBuffer.length >= this.options.spillBufferCapacity) {
        this.drop(1, `the spill writer is behind (spillBufferCapacity ${this.options.spillBufferCapacity})`);
      } else {
        if (this.spillBuffer.length === 0) this.spillBufferHeadSeq = seq;
        this.spillBuffer.push(event);
        this.scheduleSpillFlush();
      }
    }
    this.schedule();
  }

  /**
   * The queue filled: logs the start of a spill episode, or continues the one whose quiet
   * time is still running (one line per episode, not per flip between the modes).
   */
  private spillEpisodeStarts(): void {
    if (this.episode) {
      if (this.episode.timer) clearTimeout(this.episode.timer);
      this.episode.timer = undefined;
      return;
    }
    this.episode = { startedMs: Date.now(), spilledAtStart: this.counts.spilled };
    this.logger.warn(`event pipeline: sink "${this.sink.name}" queue is full; spilling new events to disk`, {
      sink: this.sink.name,
      queueCapacity: this.options.queueCapacity,
    });
  }

  /** The lane caught up: the episode ends unless it spills again within the quiet time. */
  private spillEpisodeCaughtUp(): void {
    const episode = this.episode;
    if (!episode || episode.timer) return;
    episode.timer = setTimeout(() => this.endSpillEpisode(), this.options.spillEpisodeQuietMs);
    episode.timer.unref();
  }

  private endSpillEpisode(): void {
    const episode = this.episode;
    if (!episode) return;
    if (episode.timer) clearTimeout(episode.timer);
    this.episode = undefined;
    const spilled = this.counts.spilled - episode.spilledAtStart;
    this.logger.warn(
      `event pipeline: sink "${this.sink.name}" caught up: ${spilled} events spilled to disk and replayed over ${Math.round((Date.now() - episode.startedMs) / 1000)} s; new events queue in memory again`,
      { sink: this.sink.name, spilled, durationMs: Date.now() - episode.startedMs },
    );
  }

  /** Counts an event that arrived after close. */
  dropAfterClose(): void {
    this.count('emitted', 1);
    this.drop(1, 'the pipeline is closed');
  }

  stats(): SinkLaneStats {
    return {
      counters: { ...this.counts },
      queueDepth: this.queue.length,
      spillBytes: this.spill.bytes,
      spillFiles: this.spill.fileCount,
      mode: this.mode,
    };
  }

  /** Resolves once the lane is idle (memory queue and spill empty), or false after `timeoutMs`. */
  whenIdle(timeoutMs: number): Promise<boolean> {
    if (this.isIdle()) return Promise.resolve(true);
    const idle = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.idleWaiters = this.idleWaiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.idleWaiters.push(done);
    });
    // Someone waits: a lingering partial batch goes now.
    this.schedule();
    return idle;
  }

  /** Stops the loop after its current write and persists whatever is still in memory to the spill. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.episode?.timer) clearTimeout(this.episode.timer);
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.sleeping?.wake();
    await this.runDone;
    await this.flushSpillBuffer();
    if (this.queue.length > 0) {
      const head = this.queueHeadSeq;
      await this.spillEvents(head, this.queue.take(this.queue.length));
    }
  }

  private isIdle(): boolean {
    return this.mode === 'direct' && this.queue.length === 0 && !this.running;
  }

  /**
   * Whether the next batch should wait for more events: a partial batch in direct mode
   * while nobody waits for the lane to drain.
   */
  private lingers(): boolean {
    return (
      this.options.batchLingerMs > 0 &&
      this.mode === 'direct' &&
      this.queue.length < this.options.batchSize &&
      this.idleWaiters.length === 0
    );
  }

  private schedule(): void {
    if (this.running || this.stopped) return;
    if (this.lingers()) {
      if (this.scheduled || this.lingerTimer) return;
      this.lingerTimer = setTimeout(this.lingerExpired, this.options.batchLingerMs);
      // A forgotten pipeline must not keep the process alive; close() delivers or spills the rest.
      this.lingerTimer.unref();
      return;
    }
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: a burst of emits in one tick becomes one batch.
    setImmediate(this.immediateDue);
  }

  // Bound once: schedule() runs on every push and must not allocate a closure each time.
  private readonly lingerExpired = (): void => {
    this.lingerTimer = undefined;
    this.startRun();
  };

  private readonly immediateDue = (): void => {
    this.scheduled = false;
    this.startRun();
  };

  private startRun(): void {
    if (!this.running && !this.stopped) this.runDone = this.run();
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      await this.loop();
    } catch (error) {
      // A spill read or write failed (disk trouble): log, back off, try again.
      this.logger.error(`event pipeline: sink "${this.sink.name}" delivery loop failed`, {
        cause: String(error),
      });
      await this.sleep();
    } finally {
      this.running = false;
    }
    if (this.stopped) return;
    if (this.queue.length > 0 || this.mode === 'spilling') this.schedule();
    else {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async loop(): Promise<void> {
    // The first batch goes as it is (its linger is over, or it was not lingering); later
    // partial batches return to schedule() to linger.
    let first = true;
    while (!this.stopped) {
      if (this.queue.length > 0) {
        if (!first && this.lingers()) return;
        first = false;
        const head = this.queueHeadSeq;
        const taken = this.queue.take(this.options.batchSize);
        this.queueHeadSeq += taken.length;
        const batch = this.materialize(taken);
        const retry = batch.length > 0 ? await this.deliver(batch, false) : [];
        if (retry.length > 0) {
          // Everything behind the failed batch in memory goes to the spill too, in order.
          this.mode = 'spilling';
          const rest = this.queue.take(this.queue.length);
          await this.spillEvents(head, rest.length > 0 ? [...retry, ...rest] : retry);
          await this.sleep();
        }
        continue;
      }
      if (this.mode !== 'spilling') return;
      const file = this.spill.oldest();
      if (!file) {
        if (this.spillBuffer.length > 0 || this.spillFlush) {
          await this.flushSpillBuffer();
          continue;
        }
        this.mode = 'direct';
        this.spillEpisodeCaughtUp();
        return;
      }
      const events = await this.spill.read(file);
      const retry = events.length > 0 ? await this.deliver(events, true) : [];
      if (retry.length === 0) {
        await this.spill.remove(file);
      } else {
        if (retry.length < events.length) await this.spill.replace(file, retry);
        await this.sleep();
      }
    }
  }

  /**
   * The built events of `items`: deferred ones are built here (once, shared with the other
   * lanes); one whose build throws is counted as dropped and left out.
   */
  private materialize(items: readonly QueuedEvent[]): InferenceEvent[] {
    const out: InferenceEvent[] = [];
    for (const item of items) {
      if (!(item instanceof PendingEvent)) {
        out.push(item);
        continue;
      }
      try {
        out.push(item.resolve());
      } catch (error) {
        this.drop(
          1,
          `the event could not be built: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return out;
  }

  /** Writes a batch; returns the events to retry (empty on success). */
  private async deliver(
    events: readonly InferenceEvent[],
    fromSpill: boolean,
  ): Promise<readonly InferenceEvent[]> {
    let retry: readonly InferenceEvent[] = [];
    let rejected: readonly InferenceEvent[] = [];
    try {
      await this.sink.write(events);
    } catch (error) {
      if (error instanceof SinkWriteError) {
        retry = error.retryable;
        rejected = error.rejected;
      } else {
        retry = events;
      }
      if (this.healthy && retry.length > 0) {
        this.healthy = false;
        this.logger.warn(
          `event pipeline: sink "${this.sink.name}" failed; spilling and retrying with backoff`,
          {
            sink: this.sink.name,
            cause: error instanceof Error ? error.message : String(error),
          },
        );
      }
    }
    if (rejected.length > 0) {
      this.count('rejected', rejected.length);
      this.logger.error(
        `event pipeline: sink "${this.sink.name}" refused ${rejected.length} events for good`,
        {
          sink: this.sink.name,
          eventIds: rejected.slice(0, 10).map((e) => e.eventId),
        },
      );
    }
    const delivered = events.length - retry.length - rejected.length;
    if (delivered > 0) {
      this.count('delivered', delivered);
      if (fromSpill) this.count('replayed', delivered);
    }
    if (retry.length === 0) {
      this.attempt = 0;
      if (!this.healthy) {
        this.healthy = true;
        this.logger.warn(`event pipeline: sink "${this.sink.name}" recovered`, { sink: this.sink.name });
      }
    }
    return retry;
  }

  private scheduleSpillFlush(): void {
    if (this.spillFlush) return;
    this.spillFlush = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
      try {
        while (this.spillBuffer.length > 0) {
          const events = this.spillBuffer;
          const head = this.spillBufferHeadSeq;
          this.spillBuffer = [];
          for (let i = 0; i < events.length; i += this.options.batchSize) {
            await this.spillEvents(head + i, events.slice(i, i + this.options.batchSize));
          }
        }
      } finally {
        this.spillFlush = undefined;
      }
    });
  }

  private async flushSpillBuffer(): Promise<void> {
    while (this.spillFlush || this.spillBuffer.length > 0) {
      if (!this.spillFlush) this.scheduleSpillFlush();
      await this.spillFlush?.catch((error: unknown) => {
        this.logger.error(`event pipeline: sink "${this.sink.name}" spill write failed`, {
          cause: String(error),
        });
      });
    }
  }

  private async spillEvents(firstSeq: number, items: readonly QueuedEvent[]): Promise<void> {
    // Sequence numbers of events that failed to build are skipped: files stay in order.
    const events = this.materialize(items);
    for (let i = 0; i < events.length; i += this.options.batchSize) {
      const chunk = events.slice(i, i + this.options.batchSize);
      const { written, dropped } = await this.spill.write(firstSeq + i, chunk);
      if (written > 0) this.count('spilled', written);
      if (dropped > 0)
        this.drop(dropped, `the spill directory is full (spillMaxBytes ${this.options.spillMaxBytes})`);
    }
  }

  private drop(n: number, reason: string): void {
    this.count('dropped', n);
    // Log the first drop of a burst and then at most once per interval, with the running total.
    const now = Date.now();
    if (now - this.lastDropLogUnixMs < DROP_LOG_INTERVAL_MS) return;
    this.lastDropLogUnixMs = now;
    this.logger.error(`event pipeline: sink "${this.sink.name}" dropped ${n} events: ${reason}`, {
      sink: this.sink.name,
      dropped: n,
      droppedTotal: this.counts.dropped,
    });
  }

  private count(name: PipelineCounterName, by: number): void {
    this.counts[name] += by;
    this.options.metrics.increment(this.sink.name, name, by);
  }

  private sleep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const delay = fullJitterBackoffMs(this.attempt++, {
      initialMs: this.options.retryInitialMs,
      maxMs: this.options.retryMaxMs,
    });
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleeping = undefined;
        resolve();
      };
      const timer = setTimeout(wake, delay);
      // A forgotten pipeline must not keep the process alive; spilled events survive on disk.
      timer.unref();
      this.sleeping = { timer, wake };
    });
  }
}
