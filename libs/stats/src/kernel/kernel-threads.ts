import { Worker } from 'node:worker_threads';
import {
  DeadlineExceededError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
} from '@sightline/errors';
import {
  collectBracket,
  distanceRowRange,
  kernelRowRange,
  kernelScratchLength,
  type ListMembership,
  runChunks,
} from './kernel-row-ranges.js';

/** How long the calling thread waits for a helper's share before giving up. */
export const DEFAULT_KERNEL_THREAD_TIMEOUT_MS = 60_000;
/** Most helper threads one {@link KernelThreads} starts. */
export const MAX_KERNEL_HELPER_THREADS = 64;

/**
 * A kernel pass the helpers join: every thread claims chunks (rows [bounds[c], bounds[c+1]))
 * from the shared counter until none are left. Buffers are shared memory.
 */
export type KernelRowTask =
  | {
      readonly kind: 'distances';
      readonly data: SharedArrayBuffer;
      readonly norms: SharedArrayBuffer;
      readonly n: number;
      readonly d: number;
      readonly out: SharedArrayBuffer;
      readonly bounds: SharedArrayBuffer;
      readonly counter: SharedArrayBuffer;
      /** When the median is wanted: see {@link collectBracket}; chunk c collects from middleStarts[c]. */
      readonly bracket?: {
        readonly low: number;
        readonly high: number;
        readonly middle: SharedArrayBuffer;
        readonly middleStarts: SharedArrayBuffer;
        readonly stats: SharedArrayBuffer;
      };
    }
  | {
      readonly kind: 'kernel';
      readonly packed: SharedArrayBuffer;
      readonly total: number;
      readonly gamma: number;
      readonly lists: SharedArrayBuffer;
      readonly k: number;
      readonly count: number;
      /** {@link ListMembership} of the lists. */
      readonly memberStarts: SharedArrayBuffer;
      readonly memberLists: SharedArrayBuffer;
      readonly memberNext: SharedArrayBuffer;
      /** Chunk c's row sums at [c * total, (c + 1) * total), its list sums at [c * count, (c + 1) * count). */
      readonly partialRowSums: SharedArrayBuffer;
      readonly partialWithin: SharedArrayBuffer;
      readonly bounds: SharedArrayBuffer;
      readonly counter: SharedArrayBuffer;
    };

// The helpers run the very functions the calling thread runs, from their source text, bound
// to fixed names (a bundler may rename the declarations themselves).
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const distanceRowRange = (${distanceRowRange.toString()});
const kernelRowRange = (${kernelRowRange.toString()});
const kernelScratchLength = (${kernelScratchLength.toString()});
const runChunks = (${runChunks.toString()});
const collectBracket = (${collectBracket.toString()});
parentPort.on('message', ({ task, done }) => {
  const flag = new Int32Array(done);
  try {
    const bounds = new Int32Array(task.bounds);
    const counter = new Int32Array(task.counter);
    if (task.kind === 'distances') {
      const data = new Float64Array(task.data);
      const norms = new Float64Array(task.norms);
      const out = new Float64Array(task.out);
      const b = task.bracket;
      const middle = b && new Float64Array(b.middle);
      const starts = b && new Int32Array(b.middleStarts);
      const stats = b && new Int32Array(b.stats);
      const rowStart = (i) => i * task.n - (i * (i + 1)) / 2;
      runChunks(bounds, counter, (from, to, c) => {
        distanceRowRange(data, norms, task.n, task.d, out, from, to);
        if (b) collectBracket(out, rowStart(from), rowStart(to), b.low, b.high, middle, starts[c],
          starts[c + 1] - starts[c] - 1, stats, c);
      });
    } else {
      const packed = new Float64Array(task.packed);
      const lists = new Int32Array(task.lists);
      const starts = new Int32Array(task.memberStarts);
      const members = new Int32Array(task.memberLists);
      const next = new Int32Array(task.memberNext);
      const rows = new Float64Array(task.partialRowSums);
      const within = new Float64Array(task.partialWithin);
      const scratch = new Float64Array(kernelScratchLength(task.total));
      runChunks(bounds, counter, (from, to, c) => kernelRowRange(packed, task.total, task.gamma, lists, task.k,
        starts, members, next, from, to, rows.subarray(c * task.total, (c + 1) * task.total),
        within.subarray(c * task.count, (c + 1) * task.count), scratch));
    }
    Atomics.store(flag, 0, 1);
  } catch (error) {
    Atomics.store(flag, 0, 2);
  }
  Atomics.notify(flag, 0);
});
`;

/**
 * Helper threads a kernel test may split its two quadratic passes over (pairwise distances;
 * kernel values with row sums and permutation gathers). Created once by the caller (a
 * service's composition root, a benchmark), passed in the test's options, closed at
 * shutdown. Every thread, the calling one included, claims chunks of rows until none are
 * left, then the calling thread blocks (Atomics.wait) until the helpers finish theirs, so
 * the tests stay synchronous. Results are identical to the single-threaded ones (partial
 * sums are kept per chunk and added in chunk order).
 */
export class KernelThreads {
  readonly #workers: Worker[];
  readonly #timeoutMs: number;
  /** Why the set cannot run work any more (a helper exited, or close() was called). */
  #stopped: string | undefined;

  private constructor(workers: Worker[], timeoutMs: number) {
    this.#workers = workers;
    this.#timeoutMs = timeoutMs;
    for (const worker of workers) {
      worker.once('exit', (code) => {
        this.#stopped ??= `a helper thread exited with code ${code}`;
      });
    }
  }

  /**
   * Starts `helpers` worker threads (the calling thread is one more). They do not keep the
   * process alive.
   */
  static create(helpers: number, options: { readonly timeoutMs?: number } = {}): KernelThreads {
    if (!Number.isInteger(helpers) || helpers < 1 || helpers > MAX_KERNEL_HELPER_THREADS) {
      throw new InvalidArgumentError(
        `helpers: expected an integer in [1, ${MAX_KERNEL_HELPER_THREADS}], got ${helpers}`,
      );
    }
    const workers = Array.from({ length: helpers }, () => {
      const worker = new Worker(WORKER_SOURCE, { eval: true });
      worker.unref();
      return worker;
    });
    return new KernelThreads(workers, options.timeoutMs ?? DEFAULT_KERNEL_THREAD_TIMEOUT_MS);
  }

  /** Helper threads (excluding the caller). */
  get helpers(): number {
    return this.#workers.length;
  }

  /**
   * Hands `tasks[h]` to helper h, runs `own` on the calling thread, then waits for every helper.
   * (With chunked tasks every helper gets the same task and they share its counter.)
   * @throws InternalError when a helper's share failed; DeadlineExceededError past the timeout;
   * FailedPreconditionError after close() or when a helper has exited.
   */
  run(tasks: readonly KernelRowTask[], own: () => void): void {
    if (this.#stopped) {
      throw new FailedPreconditionError(`kernel threads: ${this.#stopped}; create a new KernelThreads`);
    }
    const flags = tasks.map((task, h) => {
      const done = new SharedArrayBuffer(4);
      this.#workers[h]!.postMessage({ task, done });
      return new Int32Array(done);
    });
    own();
    for (const flag of flags) {
      if (Atomics.wait(flag, 0, 0, this.#timeoutMs) === 'timed-out') {
        throw new DeadlineExceededError(
          `kernel threads: a helper did not finish within ${this.#timeoutMs} ms`,
        );
      }
      if (Atomics.load(flag, 0) !== 1) throw new InternalError('kernel threads: a helper failed its share');
    }
  }

  /** Stops the helper threads. */
  async close(): Promise<void> {
    this.#stopped ??= 'closed';
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
