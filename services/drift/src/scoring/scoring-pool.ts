/**
 * The drift service's scoring threads: Score, Predict, closed live windows and ScoreHistory
 * windows run here, off the event loop that answers gRPC, `/healthz` and `POST /events`.
 *
 * Hand-written over node:worker_threads rather than piscina or tinypool, because what the
 * service needs is affinity: each thread keeps the fitted versions it was sent (states whose
 * arrays are in shared memory), so the pool must know which thread holds which version,
 * send a version's state only to a thread that lacks it, and evict it from every thread on
 * refit or delete; those pools choose the thread themselves and cannot address one.
 *
 * Each thread scores one table at a time. Scores wait in one FIFO queue of at most
 * `maxPending`; one more is refused with RESOURCE_EXHAUSTED naming --max-pending-scores. A
 * thread that dies (crash, `process.exit`) fails only the score it was running (INTERNAL, a
 * sentence) and is replaced; a thread that dies before it is ready is not (the service
 * logs why) and, once none is left, scores are UNAVAILABLE.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DriftResult, FeatureTable, FittedState } from '@sightline/detect';
import { InternalError, ResourceExhaustedError, UnavailableError } from '@sightline/errors';
import type { Logger } from '@sightline/service-kit';
import {
  type FromScoringThread,
  fromWireError,
  type KernelsModule,
  type ScoringThreadInit,
  type ToScoringThread,
} from './scoring-protocol.js';

/** One score: a table against a fitted version. */
export interface ScoreRequest {
  /** The fitted version's cache key: unique per detector, version and load. */
  readonly key: string;
  readonly kind: string;
  /** The version's state, its arrays in shared memory (see `sharedState`). */
  readonly state: FittedState;
  readonly table: FeatureTable;
  /** How messages name what was scored, e.g. `detector "iris" version 3`. */
  readonly label: string;
}

/** Scores tables off the event loop. */
export interface OffThreadScorer {
  /**
   * Scores `request` on a scoring thread.
   * @throws the kind's own error (INVALID_ARGUMENT ...), ResourceExhaustedError when the queue
   *   is full, InternalError when the thread died running it, UnavailableError when stopping.
   */
  score(request: ScoreRequest): Promise<DriftResult>;
  /** Forgets a fitted version on every thread (refit, delete). */
  evict(key: string): void;
}

/** Options of {@link ScoringPool.start}. */
export interface ScoringPoolOptions {
  /** Scoring threads (each scores one table at a time). */
  readonly threads: number;
  /** Scores waiting for a thread; one more is RESOURCE_EXHAUSTED. */
  readonly maxPending: number;
  readonly kernels: KernelsModule;
  readonly logger: Logger;
}

interface Task extends ScoreRequest {
  readonly id: number;
  resolve(result: DriftResult): void;
  reject(error: Error): void;
}

interface Thread {
  readonly slot: number;
  readonly worker: Worker;
  /** Keys whose state this thread was sent (and not told to evict). */
  readonly cached: Set<string>;
  ready: boolean;
  running: Task | undefined;
  /** Why it failed, when it reported an uncaught error before exiting. */
  failure: string | undefined;
}

/** The compiled thread entry: beside this file in dist, or dist's when run from src (tests). */
function threadEntry(): URL {
  const beside = new URL('./scoring-thread.js', import.meta.url);
  if (existsSync(fileURLToPath(beside))) return beside;
  return new URL('../../dist/scoring/scoring-thread.js', import.meta.url);
}

/** See the file comment. */
export class ScoringPool implements OffThreadScorer {
  private readonly threads = new Map<number, Thread>();
  private readonly queue: Task[] = [];
  /** Keys evicted: a score of one still queued sends its state for that score only. */
  private readonly evicted = new Set<string>();
  private nextId = 0;
  private stopping: string | undefined;
  private idleWaiters: (() => void)[] = [];
  private replaced = 0;

  private constructor(private readonly options: ScoringPoolOptions) {}

  /**
   * Starts the threads and waits until each has loaded the kernels.
   * @throws Error when a thread cannot start (its reason), after stopping the others.
   */
  static async start(options: ScoringPoolOptions): Promise<ScoringPool> {
    const pool = new ScoringPool(options);
    const ready = Array.from({ length: options.threads }, (_, slot) => pool.spawn(slot));
    try {
      await Promise.all(ready);
    } catch (error) {
      await pool.close(0);
      throw error;
    }
    return pool;
  }

  /** Scores running on a thread now. */
  get running(): number {
    let n = 0;
    for (const thread of this.threads.values()) if (thread.running) n++;
    return n;
  }

  /** Scores waiting for a thread. */
  get pending(): number {
    return this.queue.length;
  }

  /** Threads that died while serving and were replaced, since start. */
  get threadsReplaced(): number {
    return this.replaced;
  }

  score(request: ScoreRequest): Promise<DriftResult> {
    if (this.stopping) return Promise.reject(new UnavailableError(this.stopping));
    if (this.threads.size === 0) {
      return Promise.reject(
        new UnavailableError('no scoring thread is running (see the service log for why they stopped)'),
      );
    }
    return new Promise<DriftResult>((resolve, reject) => {
      const task: Task = { ...request, id: this.nextId++, resolve, reject };
      const idle = this.queue.length === 0 ? this.idleThreadFor(task.key) : undefined;
      if (idle) {
        this.run(idle, task);
        return;
      }
      if (this.queue.length >= this.options.maxPending) {
        reject(
          new ResourceExhaustedError(
            `scoring ${request.label}: ${this.queue.length} scores are already waiting for one of ${this.threads.size} scoring threads, the most allowed (--max-pending-scores); retry later`,
          ),
        );
        return;
      }
      this.queue.push(task);
    });
  }

  evict(key: string): void {
    this.evicted.add(key);
    for (const thread of this.threads.values()) {
      if (!thread.cached.delete(key)) continue;
      const message: ToScoringThread = { type: 'evict', key };
      thread.worker.postMessage(message);
    }
  }

  /**
   * Stops: new scores are refused, queued and running ones get up to `graceMs` to finish,
   * then the threads are terminated and what is left fails UNAVAILABLE.
   */
  async close(graceMs: number): Promise<void> {
    this.stopping ??= 'the drift service is stopping: its scoring threads take no new scores';
    if (this.running + this.queue.length > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    const stopped = new UnavailableError('the drift service stopped before this score finished');
    for (const task of this.queue.splice(0)) task.reject(stopped);
    const threads = [...this.threads.values()];
    this.threads.clear();
    for (const thread of threads) {
      thread.running?.reject(stopped);
      thread.running = undefined;
    }
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  /** Starts the thread of `slot`; resolves when it is ready, rejects when it dies before. */
  private spawn(slot: number): Promise<void> {
    const init: ScoringThreadInit = { kernels: this.options.kernels };
    const worker = new Worker(threadEntry(), { workerData: init, name: `drift-scoring-${slot}` });
    const thread: Thread = {
      slot,
      worker,
      cached: new Set(),
      ready: false,
      running: undefined,
      failure: undefined,
    };
    this.threads.set(slot, thread);
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromScoringThread) => {
        if (message.type === 'ready') {
          thread.ready = true;
          resolve();
          this.dispatch();
          return;
        }
        const task = thread.running;
        if (task === undefined || task.id !== message.id) return;
        thread.running = undefined;
        if (message.type === 'scored') task.resolve(message.result);
        else task.reject(fromWireError(message.error));
        this.dispatch();
      });
      worker.on('error', (error) => {
        thread.failure = error.message;
      });
      worker.on('exit', (code) => {
        const reason = thread.failure ?? `exit code ${code}`;
        if (!thread.ready) reject(new Error(`scoring thread ${slot} could not start: ${reason}`));
        this.exited(thread, reason);
      });
    });
  }

  /** A thread ended: fail its score, replace it when it had served, and go on. */
  private exited(thread: Thread, reason: string): void {
    if (this.threads.get(thread.slot) !== thread) return;
    this.threads.delete(thread.slot);
    const task = thread.running;
    thread.running = undefined;
    task?.reject(
      new InternalError(
        `scoring ${task.label}: the scoring thread running it stopped (${reason}); this score was lost${this.stopping ? '' : ', the thread is replaced'}`,
      ),
    );
    if (this.stopping) {
      // A stop waiting for the scores to finish hears of this one through dispatch().
      this.dispatch();
      return;
    }
    if (!thread.ready) {
      this.options.logger.error(
        { slot: thread.slot, reason },
        `scoring thread ${thread.slot} could not start and is not replaced: ${reason}`,
      );
      if (this.threads.size === 0) {
        for (const queued of this.queue.splice(0)) {
          queued.reject(
            new UnavailableError(`no scoring thread is running: the last could not start (${reason})`),
          );
        }
      }
      return;
    }
    this.replaced++;
    this.options.logger.error(
      { slot: thread.slot, reason, detector: task?.label },
      `scoring thread ${thread.slot} stopped (${reason})${task ? ` while scoring ${task.label}` : ''}; starting a new one`,
    );
    this.spawn(thread.slot).catch(() => {
      // Logged by exited() of the new thread.
    });
  }

  /** An idle, ready thread, preferring one that holds `key`. */
  private idleThreadFor(key: string): Thread | undefined {
    let any: Thread | undefined;
    for (const thread of this.threads.values()) {
      if (!thread.ready || thread.running) continue;
      if (thread.cached.has(key)) return thread;
      any ??= thread;
    }
    return any;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const thread = this.idleThreadFor(this.queue[0]!.key);
      if (!thread) break;
      this.run(thread, this.queue.shift()!);
    }
    if (this.queue.length === 0 && this.running === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private run(thread: Thread, task: Task): void {
    const retired = this.evicted.has(task.key);
    const message: ToScoringThread = {
      type: 'score',
      id: task.id,
      key: task.key,
      ...(thread.cached.has(task.key) ? {} : { fitted: { kind: task.kind, state: task.state } }),
      ...(retired ? { keep: false } : {}),
      table: task.table,
    };
    try {
      thread.worker.postMessage(message);
    } catch (error) {
      task.reject(
        new InternalError(
          `scoring ${task.label}: the table could not be sent to a scoring thread: ${(error as Error).message}`,
        ),
      );
      return;
    }
    if (!retired) thread.cached.add(task.key);
    thread.running = task;
  }
}
