import {
  type Cancellation,
  CancelledError,
  cancellationOf,
  DeadlineExceededError,
  ResourceExhaustedError,
  UnavailableError,
} from '@sightline/errors';
import { createTensor, type Tensor } from '@sightline/tensor';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { InferenceWork, ModelRuntime } from '../model/types.js';
import { DynamicBatcher, type DynamicBatcherOptions } from './dynamic-batcher.js';

/**
 * A runtime that adds 1 to every element of input "x" (FP32 [-1, ...]) and records each
 * execution's batch size. `hold()` makes executions wait until `release()`.
 */
class AddOneRuntime implements ModelRuntime {
  readonly inputs = [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 2] }];
  readonly outputs = [{ name: 'y', datatype: 'FP32' as const, shape: [-1, 2] }];
  readonly backend = 'fake';
  readonly executions: number[] = [];
  failNext = false;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => {
      this.open = resolve;
    });
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }

  async run(
    inputs: ReadonlyMap<string, Tensor>,
    outputNames: readonly string[],
  ): Promise<Map<string, Tensor>> {
    const x = inputs.get('x')!;
    this.executions.push(x.shape[0]!);
    if (this.gate) await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('runtime exploded');
    }
    const data = Float32Array.from(x.data as Float32Array, (v) => v + 1);
    const result = new Map<string, Tensor>();
    if (outputNames.includes('y')) result.set('y', createTensor('y', 'FP32', x.shape, data));
    return result;
  }

  async dispose(): Promise<void> {}
}

function work(rows: number, first: number, extra: Partial<InferenceWork> = {}, width = 2): InferenceWork {
  const data = Float32Array.from({ length: rows * width }, (_, i) => first + i);
  return {
    inputs: new Map([['x', createTensor('x', 'FP32', [rows, width], data)]]),
    outputNames: ['y'],
    batchSize: rows,
    ...extra,
  };
}

const base: DynamicBatcherOptions = {
  label: 'model "m" version 1',
  maxBatchSize: 8,
  batching: true,
  maxQueueDelayUs: 0,
  preferredBatchSizes: [],
  maxQueueSize: 100,
};

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('DynamicBatcher', () => {
  it('runs a lone request at once and merges those that queue while the instance is busy', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], base);
    runtime.hold();
    const first = batcher.schedule(work(1, 0));
    await tick();
    const rest = [1, 2, 3, 4].map((n) => batcher.schedule(work(1, n * 10)));
    expect(batcher.queueDepth).toBe(4);
    runtime.release();
    const results = await Promise.all([first, ...rest]);
    expect(runtime.executions).toEqual([1, 4]);
    // Each caller gets back exactly its own rows.
    expect(Array.from(results[0]!.outputs.get('y')!.data as Float32Array)).toEqual([1, 2]);
    expect(Array.from(results[3]!.outputs.get('y')!.data as Float32Array)).toEqual([31, 32]);
    expect(results[3]!.timings.executedBatchSize).toBe(4);
    expect(results[3]!.timings.queueNs).toBeGreaterThan(0n);
  });

  it('never exceeds max_batch_size and keeps FIFO order across batches', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], { ...base, maxBatchSize: 4 });
    runtime.hold();
    const first = batcher.schedule(work(1, 0));
    await tick();
    const queued = [3, 2, 2, 1].map((rows, i) => batcher.schedule(work(rows, i * 100)));
    runtime.release();
    await Promise.all([first, ...queued]);
    // 3 fits; 3+2 overflows so the 2 starts the next batch: [2,2], then [1].
    expect(runtime.executions).toEqual([1, 3, 4, 1]);
  });

  it('waits up to max_queue_delay for more requests, then runs what it has', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], { ...base, maxQueueDelayUs: 30_000 });
    const started = performance.now();
    const a = batcher.schedule(work(1, 0));
    await new Promise((r) => setTimeout(r, 5));
    const b = batcher.schedule(work(1, 1));
    const [ra] = await Promise.all([a, b]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(29);
    expect(runtime.executions).toEqual([2]);
    expect(Number(ra.timings.queueNs) / 1e6).toBeGreaterThanOrEqual(29);
  });

  it('cuts at a preferred batch size without waiting for the delay', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], {
      ...base,
      maxQueueDelayUs: 10_000_000,
      preferredBatchSizes: [3],
    });
    const started = performance.now();
    await Promise.all([
      batcher.schedule(work(1, 0)),
      batcher.schedule(work(1, 1)),
      batcher.schedule(work(1, 2)),
    ]);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(runtime.executions).toEqual([3]);
  });

  it('runs requests one by one when batching is off, one execution per instance at a time', async () => {
    const runtimes = [new AddOneRuntime(), new AddOneRuntime()];
    const batcher = new DynamicBatcher(runtimes, { ...base, batching: false });
    for (const r of runtimes) r.hold();
    const all = [0, 1, 2, 3].map((n) => batcher.schedule(work(2, n)));
    await tick();
    expect(runtimes.map((r) => r.executions.length)).toEqual([1, 1]);
    expect(batcher.queueDepth).toBe(2);
    for (const r of runtimes) r.release();
    await Promise.all(all);
    expect([...runtimes[0]!.executions, ...runtimes[1]!.executions]).toEqual([2, 2, 2, 2]);
  });

  it('does not merge requests whose non-batch dimensions differ', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], base);
    runtime.hold();
    const first = batcher.schedule(work(1, 0));
    await tick();
    const mixed = [
      batcher.schedule(work(1, 0, {}, 2)),
      batcher.schedule(work(1, 0, {}, 3)),
      batcher.schedule(work(1, 0, {}, 3)),
    ];
    runtime.release();
    await Promise.all([first, ...mixed]);
    expect(runtime.executions).toEqual([1, 1, 2]);
  });

  it('refuses work past max_queue_size at once with RESOURCE_EXHAUSTED', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], { ...base, maxQueueSize: 2 });
    runtime.hold();
    const running = batcher.schedule(work(1, 0));
    await tick();
    const queued = [batcher.schedule(work(1, 1)), batcher.schedule(work(1, 2))];
    await expect(batcher.schedule(work(1, 3))).rejects.toThrow(ResourceExhaustedError);
    await expect(batcher.schedule(work(1, 3))).rejects.toThrow(/max_queue_size 2/);
    runtime.release();
    await Promise.all([running, ...queued]);
  });

  it('answers a caller whose deadline passes in the queue, and never runs its request', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], base);
    runtime.hold();
    const running = batcher.schedule(work(1, 0));
    await tick();
    const late = batcher
      .schedule(work(1, 5, { cancellation: cancellationOf(AbortSignal.timeout(20)) }))
      .catch((e: unknown) => e);
    const controller = new AbortController();
    const cancelled = batcher
      .schedule(work(1, 6, { cancellation: cancellationOf(controller.signal) }))
      .catch((e: unknown) => e);
    controller.abort();
    expect(await late).toBeInstanceOf(DeadlineExceededError);
    expect(await cancelled).toBeInstanceOf(CancelledError);
    runtime.release();
    await running;
    await tick();
    expect(runtime.executions).toEqual([1]);
    expect(batcher.queueDepth).toBe(0);
  });

  it('answers at once a request that must wait when its caller already gave up', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], base);
    runtime.hold();
    const running = batcher.schedule(work(1, 0));
    await tick();
    const controller = new AbortController();
    controller.abort();
    await expect(
      batcher.schedule(work(1, 1, { cancellation: cancellationOf(controller.signal) })),
    ).rejects.toThrow(CancelledError);
    runtime.release();
    await running;
    await tick();
    expect(runtime.executions).toEqual([1]);
  });

  it('listens for a cancel only while a request waits in the queue', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], base);
    let listening = 0;
    const counted: Cancellation = {
      cancelReason: undefined,
      onCancel: () => {
        listening += 1;
        return () => {
          listening -= 1;
        };
      },
    };
    await batcher.schedule({ ...work(1, 0), cancellation: counted });
    expect(listening).toBe(0);
    runtime.hold();
    const running = batcher.schedule(work(1, 1));
    await tick();
    const waiting = batcher.schedule({ ...work(1, 2), cancellation: counted });
    expect(listening).toBe(1);
    runtime.release();
    await Promise.all([running, waiting]);
    expect(listening).toBe(0);
  });

  it('fails every request of a failed execution and keeps serving', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], base);
    runtime.failNext = true;
    await expect(batcher.schedule(work(1, 0))).rejects.toThrow('runtime exploded');
    await expect(batcher.schedule(work(1, 0))).resolves.toBeDefined();
  });

  it('drains: finishes accepted work, then refuses new work with UNAVAILABLE', async () => {
    const runtime = new AddOneRuntime();
    const batcher = new DynamicBatcher([runtime], { ...base, maxQueueDelayUs: 10_000_000 });
    const pending = [batcher.schedule(work(1, 0)), batcher.schedule(work(1, 1))];
    const drained = batcher.drain();
    await expect(batcher.schedule(work(1, 2))).rejects.toThrow(UnavailableError);
    await Promise.all(pending);
    await drained;
    expect(runtime.executions).toEqual([2]);
  });

  it('reports each execution to the observer', async () => {
    const runtime = new AddOneRuntime();
    const seen: { batchSize: number; requestCount: number; failed: boolean }[] = [];
    const batcher = new DynamicBatcher([runtime], base, (e) => seen.push(e));
    await batcher.schedule(work(3, 0));
    expect(seen).toMatchObject([{ batchSize: 3, requestCount: 1, failed: false }]);
  });
});

describe('DynamicBatcher properties', () => {
  it('returns every caller exactly its own rows, never exceeds max_batch_size, and runs rows in FIFO order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 6, max: 16 }),
        fc.array(fc.integer({ min: 1, max: 16 }), { maxLength: 3 }),
        fc.integer({ min: 1, max: 3 }),
        async (rowCounts, maxBatchSize, preferred, instances) => {
          const runtimes = Array.from({ length: instances }, () => new AddOneRuntime());
          const batcher = new DynamicBatcher(runtimes, {
            ...base,
            maxBatchSize,
            preferredBatchSizes: preferred.filter((p) => p <= maxBatchSize),
            maxQueueDelayUs: 500,
          });
          let next = 0;
          const requests = rowCounts.map((rows) => {
            const first = next;
            next += rows * 2;
            return { rows, first, result: batcher.schedule(work(rows, first)) };
          });
          for (const request of requests) {
            const result = await request.result;
            const expected = Array.from({ length: request.rows * 2 }, (_, i) => request.first + i + 1);
            expect(Array.from(result.outputs.get('y')!.data as Float32Array)).toEqual(expected);
            expect(result.timings.executedBatchSize).toBeLessThanOrEqual(maxBatchSize);
          }
          const executed = runtimes.flatMap((r) => r.executions);
          expect(executed.reduce((a, b) => a + b, 0)).toBe(rowCounts.reduce((a, b) => a + b, 0));
          expect(Math.max(...executed)).toBeLessThanOrEqual(maxBatchSize);
          await batcher.drain();
        },
      ),
      { numRuns: 60 },
    );
  });
});
