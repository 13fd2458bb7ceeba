/**
 * The scheduler of one loaded model version: a bounded FIFO queue in front of the
 * version's runtime instances, merging concurrent requests into one execution when dynamic
 * batching is on (Triton's dynamic batcher), or running them one by one when it is off.
 *
 * Batch formation, whenever an instance is idle and requests are queued:
 * 1. the queued rows fill max_batch_size -> cut a full batch;
 * 2. a preferred batch size can be formed -> cut the largest one that can;
 * 3. the oldest request has waited max_queue_delay -> cut what is there;
 * 4. otherwise wait until (3) or until more requests arrive.
 * With max_queue_delay 0, (3) always holds: requests run at once on an idle instance, and
 * batches form from what queued while every instance was busy (no added latency at low
 * load, full batches at high load).
 *
 * Requests are never reordered: a request whose rows would overflow the batch, or whose
 * non-batch dimensions differ from the batch's, starts the next batch.
 *
 * Each instance runs one execution at a time, so `instance_count` is the parallelism; the
 * queue is bounded by max_queue_size and a request past it is refused at once.
 */
import { performance } from 'node:perf_hooks';
import {
  CancelledError,
  DeadlineExceededError,
  isSightlineError,
  ResourceExhaustedError,
  UnavailableError,
} from '@sightline/errors';
import { concatBatch, splitBatch, type Tensor } from '@sightline/tensor';
import type { InferenceResult, InferenceScheduler, InferenceWork, ModelRuntime } from '../model/types.js';

/** How the batcher of one version behaves, resolved from the model config. */
export interface DynamicBatcherOptions {
  /** `model "iris" version 1`, for messages. */
  readonly label: string;
  /** Rows per execution at most; 0 means the model has no batch dimension. */
  readonly maxBatchSize: number;
  /** Merge concurrent requests into one execution. */
  readonly batching: boolean;
  readonly maxQueueDelayUs: number;
  readonly preferredBatchSizes: readonly number[];
  readonly maxQueueSize: number;
}

/** Called after each execution, for statistics and metrics. */
export type ExecutionObserver = (execution: {
  readonly batchSize: number;
  readonly requestCount: number;
  readonly computeInputNs: bigint;
  readonly computeInferNs: bigint;
  readonly computeOutputNs: bigint;
  readonly failed: boolean;
}) => void;

interface QueuedRequest {
  readonly work: InferenceWork;
  readonly enqueuedAtMs: number;
  readonly enqueuedNs: bigint;
  readonly resolve: (result: InferenceResult) => void;
  readonly reject: (error: unknown) => void;
  settled: boolean;
  /** Taken off the queue into an execution. */
  taken: boolean;
  detachAbort?: () => void;
}

/**
 * Whether two requests' inputs agree on everything but the batch dimension, so they may
 * share a batch. Compared in place rather than through a per-request key string: this runs
 * for every queued request.
 */
function sameNonBatchShapes(a: InferenceWork, b: InferenceWork): boolean {
  if (a.inputs.size !== b.inputs.size) return false;
  for (const [name, tensor] of a.inputs) {
    const other = b.inputs.get(name);
    if (other === undefined || other.shape.length !== tensor.shape.length) return false;
    for (let d = 1; d < tensor.shape.length; d++) if (other.shape[d] !== tensor.shape[d]) return false;
  }
  return true;
}

/** The requested outputs of `names` from `outputs`: the map itself when it holds just those. */
function pickOutputs(outputs: ReadonlyMap<string, Tensor>, names: readonly string[]): Map<string, Tensor> {
  if (outputs instanceof Map && outputs.size === names.length && names.every((name) => outputs.has(name))) {
    return outputs;
  }
  const wanted = new Map<string, Tensor>();
  for (const name of names) {
    const tensor = outputs.get(name);
    if (tensor) wanted.set(name, tensor);
  }
  return wanted;
}

function uniqueOutputNames(requests: readonly QueuedRequest[]): string[] {
  const names: string[] = [];
  for (const request of requests) {
    for (const name of request.work.outputNames) if (!names.includes(name)) names.push(name);
  }
  return names;
}

/**
 * The error a request abandoned in the queue is answered with: the cancel's own reason
 * when it is a deadline or a cancel error of ours (named for the queue), else CANCELLED.
 */
function queuedAbandonError(reason: Error, label: string): Error {
  if (reason instanceof DeadlineExceededError) {
    return new DeadlineExceededError(`${label}: the deadline passed while the request was queued`, {
      cause: reason,
    });
  }
  if (reason instanceof CancelledError) {
    return new CancelledError(`${label}: the caller cancelled while the request was queued`, {
      cause: reason,
    });
  }
  return isSightlineError(reason)
    ? reason
    : new CancelledError(`${label}: cancelled while queued`, { cause: reason });
}

/** See the file comment. */
export class DynamicBatcher implements InferenceScheduler {
  /** Taken slots are cleared so a queued request's buffers are not held after it ran. */
  private readonly queue: (QueuedRequest | undefined)[] = [];
  /** Index of the queue's head: shifting arrays is O(n), so the head moves instead. */
  private head = 0;
  private readonly idle: ModelRuntime[];
  private busyCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private draining = false;
  private drained: (() => void) | undefined;

  constructor(
    runtimes: readonly ModelRuntime[],
    private readonly options: DynamicBatcherOptions,
    private readonly observe: ExecutionObserver = () => {},
  ) {
    if (runtimes.length === 0)
      throw new Error(`${options.label}: a batcher needs at least one runtime instance`);
    this.idle = [...runtimes];
  }

  get queueDepth(): number {
    return this.queue.length - this.head;
  }

  schedule(work: InferenceWork): Promise<InferenceResult> {
    if (this.draining) {
      return Promise.reject(
        new UnavailableError(`${this.options.label} is unloading; retry on another version or replica`),
      );
    }
    if (this.queueDepth >= this.options.maxQueueSize) {
      return Promise.reject(
        new ResourceExhaustedError(
          `${this.options.label}: queue full (max_queue_size ${this.options.maxQueueSize}); retry later`,
        ),
      );
    }
    return new Promise<InferenceResult>((resolve, reject) => {
      const request: QueuedRequest = {
        work,
        enqueuedAtMs: performance.now(),
        enqueuedNs: process.hrtime.bigint(),
        resolve,
        reject,
        settled: false,
        taken: false,
      };
      this.queue.push(request);
      this.dispatch();
      // Only a request left waiting needs to hear about its caller giving up: one that went
      // straight to an idle instance runs to the end either way.
      const cancellation = work.cancellation;
      if (request.taken || !cancellation) return;
      request.detachAbort = cancellation.onCancel((reason) =>
        this.abandon(request, queuedAbandonError(reason, this.options.label)),
      );
    });
  }

  drain(): Promise<void> {
    this.draining = true;
    if (this.queueDepth === 0 && this.busyCount === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.drained = resolve;
      this.dispatch();
    });
  }

  /** A queued request whose caller gave up: answered now, skipped when its turn comes. */
  private abandon(request: QueuedRequest, error: Error): void {
    if (request.settled) return;
    request.settled = true;
    request.reject(error);
  }

  private settle(request: QueuedRequest): boolean {
    if (request.settled) return false;
    request.settled = true;
    request.detachAbort?.();
    return true;
  }

  /** Drops abandoned requests at the head and compacts the array now and then. */
  private skipAbandoned(): void {
    let to = this.head;
    while (to < this.queue.length && this.queue[to]!.settled) to += 1;
    this.advanceHead(to);
  }

  /** Moves the head to `to`, clearing the slots passed, and compacts the array now and then. */
  private advanceHead(to: number): void {
    for (let k = this.head; k < to; k++) this.queue[k] = undefined;
    this.head = to;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  private dispatch(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.idle.length > 0) {
      this.skipAbandoned();
      if (this.queueDepth === 0) break;
      const batch = this.cutBatch();
      if (!batch) break;
      for (const request of batch) request.taken = true;
      const runtime = this.idle.pop()!;
      this.busyCount += 1;
      this.execute(runtime, batch).finally(() => {
        this.busyCount -= 1;
        this.idle.push(runtime);
        this.dispatch();
      });
    }
    this.checkDrained();
  }

  private checkDrained(): void {
    this.skipAbandoned();
    if (this.drained && this.queueDepth === 0 && this.busyCount === 0) {
      const done = this.drained;
      this.drained = undefined;
      done();
    }
  }

  /** Takes the next batch off the queue, or schedules a wake-up and returns undefined. */
  private cutBatch(): QueuedRequest[] | undefined {
    const first = this.queue[this.head]!;
    if (!this.options.batching) {
      this.advanceHead(this.head + 1);
      return [first];
    }
    const limit = Math.max(1, this.options.maxBatchSize);
    // Walk the compatible run of requests at the head that fits in one batch.
    const candidates: QueuedRequest[] = [];
    const cumulativeRows: number[] = [];
    let rows = 0;
    for (let i = this.head; i < this.queue.length; i++) {
      const request = this.queue[i]!;
      if (request.settled) continue;
      if (rows + request.work.batchSize > limit) break;
      if (request !== first && !sameNonBatchShapes(first.work, request.work)) break;
      rows += request.work.batchSize;
      candidates.push(request);
      cumulativeRows.push(rows);
    }
    const waitedUs = (performance.now() - first.enqueuedAtMs) * 1000;
    let take = 0;
    if (rows >= limit || this.draining || waitedUs >= this.options.maxQueueDelayUs) {
      take = candidates.length;
    } else {
      // The largest preferred size reachable exactly at a request boundary.
      for (const preferred of this.options.preferredBatchSizes) {
        const index = cumulativeRows.lastIndexOf(preferred);
        if (index >= 0 && index + 1 > take) take = index + 1;
      }
    }
    if (take === 0) {
      const remainingMs = Math.max(
        0,
        this.options.maxQueueDelayUs / 1000 - (performance.now() - first.enqueuedAtMs),
      );
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.dispatch();
      }, remainingMs);
      return undefined;
    }
    const batch = candidates.slice(0, take);
    // Remove the taken requests (and abandoned ones among them) from the head.
    const last = batch[batch.length - 1]!;
    let i = this.head;
    while (this.queue[i] !== last) i += 1;
    this.advanceHead(i + 1);
    return batch;
  }

  private async execute(runtime: ModelRuntime, batch: QueuedRequest[]): Promise<void> {
    const live = batch.filter((request) => !request.settled);
    if (live.length === 0) return;
    const dispatchedAtMs = performance.now();
    const dispatchedNs = process.hrtime.bigint();
    const batchSize = live.reduce((sum, request) => sum + request.work.batchSize, 0);
    let computeInputNs = 0n;
    let computeInferNs = 0n;
    let computeOutputNs = 0n;
    try {
      // One request (every request at low load) runs on its own tensors and maps: no copies.
      const single = live.length === 1;
      const outputNames = single ? live[0]!.work.outputNames : uniqueOutputNames(live);
      let inputs: ReadonlyMap<string, Tensor>;
      if (single) {
        inputs = live[0]!.work.inputs;
      } else {
        const merged = new Map<string, Tensor>();
        for (const name of live[0]!.work.inputs.keys()) {
          merged.set(name, concatBatch(live.map((request) => request.work.inputs.get(name)!)));
        }
        inputs = merged;
      }
      const inferStartNs = process.hrtime.bigint();
      computeInputNs = inferStartNs - dispatchedNs;
      const outputs = await runtime.run(inputs, outputNames);
      const inferEndNs = process.hrtime.bigint();
      computeInferNs = inferEndNs - inferStartNs;
      const computeEndedAtMs = performance.now();

      let perRequest: ReadonlyMap<string, Tensor>[] = [outputs];
      if (!single) {
        const split: Map<string, Tensor>[] = live.map(() => new Map());
        const rowCounts = live.map((request) => request.work.batchSize);
        for (const [name, tensor] of outputs) {
          const parts = splitBatch(tensor, rowCounts);
          for (let index = 0; index < parts.length; index++) split[index]!.set(name, parts[index]!);
        }
        perRequest = split;
      }
      computeOutputNs = process.hrtime.bigint() - inferEndNs;
      this.observe({
        batchSize,
        requestCount: live.length,
        computeInputNs,
        computeInferNs,
        computeOutputNs,
        failed: false,
      });
      for (let index = 0; index < live.length; index++) {
        const request = live[index]!;
        if (!this.settle(request)) continue;
        request.resolve({
          outputs: pickOutputs(perRequest[index]!, request.work.outputNames),
          timings: {
            queueNs: dispatchedNs - request.enqueuedNs,
            computeInputNs,
            computeInferNs,
            computeOutputNs,
            executedBatchSize: batchSize,
            enqueuedAtMs: request.enqueuedAtMs,
            dispatchedAtMs,
            computeEndedAtMs,
          },
        });
      }
    } catch (error) {
      this.observe({
        batchSize,
        requestCount: live.length,
        computeInputNs,
        computeInferNs,
        computeOutputNs,
        failed: true,
      });
      for (const request of live) if (this.settle(request)) request.reject(error);
    }
  }
}
